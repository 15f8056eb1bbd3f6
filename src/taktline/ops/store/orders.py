"""Orders in the store: accept (idempotently), list, get, cancel, the release queue.

An order's ``status`` goes ``accepted`` -> ``released`` (a VIN is assigned and the
vehicle handed to the plant) -> ``completed`` (dispatched), or ``accepted`` ->
``cancelled``. Accepted orders wait in the queue ordered by ``seq``; sequencing
permutes their ``seq`` values (never adds new ones), so orders that arrive while the
sequencer works stay behind the sequenced ones.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from taktline.errors import ConflictError, NotFoundError
from taktline.ops.intake import OrderIn
from taktline.ops.store.models import EventRow, IdempotencyRow, OrderRow

__all__ = [
    "ORDER_STATUSES",
    "Accepted",
    "accept_orders",
    "apply_sequence",
    "cancel_order",
    "get_order",
    "list_orders",
    "order_of",
    "queue",
]

ORDER_STATUSES = ("accepted", "released", "completed", "cancelled")


@dataclass(frozen=True, slots=True)
class Accepted:
    """The outcome of an order request: the orders, and whether it was a retry."""

    orders: list[OrderRow]
    replayed: bool


def _options(opts: Sequence[str]) -> str:
    return "+".join(opts)


def order_of(row: OrderRow) -> tuple[str, ...]:
    """The options of an order row as a tuple."""
    return tuple(o for o in row.options.split("+") if o)


def accept_orders(s: Session, items: Sequence[OrderIn], *, key: str | None, body_hash: str,
                  now: datetime, t: float) -> Accepted:
    """Accept ``items`` in one transaction; a retry with the same key gets the same orders.

    Raises :class:`ConflictError` when the key was used with another body or an order id
    exists already."""
    if key is not None:
        seen = s.get(IdempotencyRow, key)
        if seen is not None:
            if seen.body_hash != body_hash:
                raise ConflictError(f"Idempotency-Key {key!r} was used with a different body")
            ids = list(seen.response.get("orders", []))
            rows = s.scalars(select(OrderRow).where(OrderRow.order_id.in_(ids))).all()
            by_id = {r.order_id: r for r in rows}
            return Accepted([by_id[i] for i in ids if i in by_id], replayed=True)
    wanted = [i.order_id for i in items if i.order_id is not None]
    if wanted:
        taken = s.scalars(select(OrderRow.order_id).where(OrderRow.order_id.in_(wanted))).all()
        if taken:
            raise ConflictError(f"order_id {sorted(taken)[0]!r} exists already")
    top = s.scalar(select(func.max(OrderRow.seq))) or 0.0
    rows = []
    for k, item in enumerate(items):
        row = OrderRow(order_id=item.order_id or f"O-{uuid.uuid4().hex[:12].upper()}",
                       variant=item.variant, colour=item.colour,
                       options=_options(item.options), status="accepted",
                       seq=float(top) + 1.0 + k, idempotency_key=key, created_at=now)
        rows.append(row)
    s.add_all(rows)
    s.add_all(EventRow(t=t, at=now, kind="mes.accepted", station=None, vin=None,
                       data={"order_id": r.order_id}) for r in rows)
    if key is not None:
        s.add(IdempotencyRow(key=key, body_hash=body_hash, status_code=201,
                             response={"orders": [r.order_id for r in rows]}, created_at=now))
    s.flush()
    return Accepted(rows, replayed=False)


def get_order(s: Session, order_id: str) -> OrderRow:
    row = s.scalar(select(OrderRow).where(OrderRow.order_id == order_id))
    if row is None:
        raise NotFoundError(f"no order {order_id!r}")
    return row


def list_orders(s: Session, *, status: str | None = None, variant: str | None = None,
                colour: str | None = None, limit: int = 50,
                offset: int = 0) -> tuple[list[OrderRow], int]:
    """A page of orders (queue order for accepted ones, then newest first) and the total."""
    q = select(OrderRow)
    if status is not None:
        q = q.where(OrderRow.status == status)
    if variant is not None:
        q = q.where(OrderRow.variant == variant)
    if colour is not None:
        q = q.where(OrderRow.colour == colour)
    total = s.scalar(select(func.count()).select_from(q.subquery())) or 0
    order = (OrderRow.seq, OrderRow.id) if status == "accepted" else (OrderRow.id.desc(),)
    rows = s.scalars(q.order_by(*order).limit(limit).offset(offset)).all()
    return list(rows), int(total)


def cancel_order(s: Session, order_id: str, *, now: datetime, t: float) -> OrderRow:
    """Cancel an order that is not released yet (cancelling twice is not an error)."""
    row = get_order(s, order_id)
    if row.status == "cancelled":
        return row
    done = s.execute(update(OrderRow).where(OrderRow.id == row.id,
                                            OrderRow.status == "accepted")
                     .values(status="cancelled", cancelled_at=now)
                     .execution_options(synchronize_session=False))
    if done.rowcount != 1:  # type: ignore[attr-defined]
        s.refresh(row)
        raise ConflictError(f"order {order_id!r} is {row.status}: only accepted orders "
                            "can be cancelled")
    s.add(EventRow(t=t, at=now, kind="mes.cancelled", station=None, vin=None,
                   data={"order_id": order_id}))
    s.refresh(row)
    return row


def queue(s: Session, limit: int) -> list[OrderRow]:
    """The accepted orders in release order (the head first)."""
    return list(s.scalars(select(OrderRow).where(OrderRow.status == "accepted")
                          .order_by(OrderRow.seq, OrderRow.id).limit(limit)).all())


def apply_sequence(s: Session, ids: Sequence[int]) -> int:
    """Give the still-accepted orders ``ids`` the queue positions in that order.

    The positions are their own current ``seq`` values, sorted: the group keeps its
    place in the queue and only its inner order changes. Returns how many moved."""
    rows = s.scalars(select(OrderRow).where(OrderRow.id.in_(ids),
                                            OrderRow.status == "accepted")).all()
    by_id = {r.id: r for r in rows}
    present = [i for i in ids if i in by_id]
    slots = sorted(by_id[i].seq for i in present)
    moved = 0
    for pk, seq in zip(present, slots, strict=True):
        if by_id[pk].seq != seq:
            by_id[pk].seq = seq
            moved += 1
    return moved
