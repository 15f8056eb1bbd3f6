"""Orders: create one or many (idempotently), list, get, cancel."""

from __future__ import annotations

import hashlib
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Path, Query, Response, status
from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session

from taktline.ops.api.deps import MesDep, Operator, StoreDep, Viewer
from taktline.ops.api.schemas.common import MAX_PAGE
from taktline.ops.api.schemas.orders import (
    OrderBatchCreate,
    OrderCreate,
    OrderPublic,
    OrdersPublic,
)
from taktline.ops.intake import OrderIn
from taktline.ops.store import orders as store_orders
from taktline.ops.store.models import OrderRow, VehicleRow

router = APIRouter(prefix="/orders", tags=["orders"])

IdempotencyKey = Annotated[str | None, Header(
    alias="Idempotency-Key", min_length=1, max_length=255, pattern=r"^[\x21-\x7e]+$",
    description="a retry with the same key and body returns the same orders (200) and "
    "never creates a second order; the same key with another body is 409")]
OrderIdPath = Annotated[str, Path(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.:-]*$", max_length=64)]
Status = Literal["accepted", "released", "completed", "cancelled"]


def _public(s: Session, rows: list[OrderRow], frozen: int,
            positions: dict[int, int] | None = None) -> list[OrderPublic]:
    vins = dict(s.execute(select(VehicleRow.order_pk, VehicleRow.vin)
                          .where(VehicleRow.order_pk.in_([r.id for r in rows]))).all())
    if positions is None:
        positions = {r.id: _position(s, r) for r in rows if r.status == "accepted"}
    out = []
    for r in rows:
        pos = positions.get(r.id)
        out.append(OrderPublic(
            order_id=r.order_id, variant=r.variant, colour=r.colour,
            options=list(store_orders.order_of(r)), status=r.status, queue_position=pos,
            frozen=pos is not None and pos <= frozen, vin=vins.get(r.id),
            created_at=r.created_at, released_at=r.released_at,
            completed_at=r.completed_at, cancelled_at=r.cancelled_at))
    return out


def _position(s: Session, row: OrderRow) -> int:
    ahead = s.scalar(select(func.count()).select_from(OrderRow).where(
        OrderRow.status == "accepted",
        tuple_(OrderRow.seq, OrderRow.id) < tuple_(row.seq, row.id))) or 0
    return int(ahead) + 1


def _create(mes: MesDep, store: StoreDep, items: list[OrderCreate], key: str | None,
            body: str, response: Response, field: str) -> list[OrderPublic]:
    digest = hashlib.sha256(body.encode()).hexdigest()
    done = mes.accept([OrderIn(i.variant, i.colour, tuple(i.options), i.order_id)
                       for i in items], key=key, body_hash=digest, field=field)
    if done.replayed:
        response.status_code = status.HTTP_200_OK
        response.headers["Idempotent-Replayed"] = "true"
    with store.read() as s:
        rows = [s.get(OrderRow, r.id) or r for r in done.orders]
        return _public(s, rows, mes.settings.sequencing.frozen)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=OrderPublic,
             responses={200: {"description": "a retry: the order created before"},
                        409: {"description": "order id exists, or key reused"},
                        422: {"description": "invalid body or not in the catalogue"}})
def create_order(order: OrderCreate, mes: MesDep, store: StoreDep, _: Operator,
                 response: Response, key: IdempotencyKey = None) -> OrderPublic:
    """Order one vehicle. Validated against the plant's catalogue (variant, colour,
    options); accepted orders wait in the sequenced queue until released."""
    return _create(mes, store, [order], key, order.model_dump_json(), response, "")[0]


@router.post("/batch", status_code=status.HTTP_201_CREATED, response_model=list[OrderPublic],
             responses={200: {"description": "a retry: the orders created before"},
                        409: {"description": "an order id exists, or key reused"},
                        422: {"description": "invalid body or not in the catalogue"}})
def create_orders(batch: OrderBatchCreate, mes: MesDep, store: StoreDep, _: Operator,
                  response: Response, key: IdempotencyKey = None) -> list[OrderPublic]:
    """Order up to 1000 vehicles at once: all are accepted, or none (every problem is
    listed in the 422)."""
    return _create(mes, store, batch.orders, key, batch.model_dump_json(), response, "orders")


@router.get("", response_model=OrdersPublic)
def list_orders(mes: MesDep, store: StoreDep, _: Viewer,
                status: Status | None = None,
                variant: Annotated[str | None, Query(max_length=64)] = None,
                colour: Annotated[str | None, Query(max_length=64)] = None,
                limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
                offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0) -> OrdersPublic:
    """Orders, filtered; ``status=accepted`` lists the queue in release order, any other
    list is newest first."""
    with store.read() as s:
        rows, total = store_orders.list_orders(s, status=status, variant=variant,
                                               colour=colour, limit=limit, offset=offset)
        whole_queue = status == "accepted" and variant is None and colour is None
        positions = {r.id: offset + k + 1 for k, r in enumerate(rows)} if whole_queue else None
        items = _public(s, rows, mes.settings.sequencing.frozen, positions)
    return OrdersPublic(items=items, count=total, limit=limit, offset=offset)


@router.get("/{order_id}", response_model=OrderPublic, responses={404: {}})
def get_order(order_id: OrderIdPath, mes: MesDep, store: StoreDep, _: Viewer) -> OrderPublic:
    with store.read() as s:
        return _public(s, [store_orders.get_order(s, order_id)],
                       mes.settings.sequencing.frozen)[0]


@router.post("/{order_id}/cancel", response_model=OrderPublic, responses={404: {}, 409: {}})
def cancel_order(order_id: OrderIdPath, mes: MesDep, store: StoreDep,
                 _: Operator) -> OrderPublic:
    """Cancel an order that is not released yet (409 once it is)."""
    row = mes.cancel(order_id)
    with store.read() as s:
        return _public(s, [row], mes.settings.sequencing.frozen)[0]
