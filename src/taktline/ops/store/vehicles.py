"""Vehicles in the store: release (VIN assignment), queries, and the vehicles in the plant.

A vehicle's ``state`` goes ``released`` (handed to the plant, waiting at the line
entry) -> ``in_process`` (in the line) -> ``completed`` (dispatched). Its station
history is in ``vehicle_steps``, its parts (genealogy) in ``vehicle_parts``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from taktline.errors import NotFoundError
from taktline.ops.store.models import EventRow, OrderRow, PartRow, StepRow, VehicleRow
from taktline.ops.vin import make_vin

__all__ = [
    "IN_PLANT",
    "VEHICLE_STATES",
    "InPlant",
    "VehicleDetail",
    "count_states",
    "get_vehicle",
    "in_plant",
    "list_vehicles",
    "release_order",
]

VEHICLE_STATES = ("released", "in_process", "completed")
IN_PLANT = ("released", "in_process")


def release_order(s: Session, order: OrderRow, *, t: float,
                  now: datetime) -> tuple[VehicleRow, EventRow] | None:
    """Release an accepted order: one vehicle, its VIN, the order marked released.

    Returns the vehicle and its log row, or None if the order is no longer accepted
    (cancelled meanwhile)."""
    done = s.execute(update(OrderRow).where(OrderRow.id == order.id,
                                            OrderRow.status == "accepted")
                     .values(status="released", released_at=now)
                     .execution_options(synchronize_session=False))
    if done.rowcount != 1:  # type: ignore[attr-defined]
        return None
    row = VehicleRow(vin=f"TMP{uuid.uuid4().hex[:14]}", order_pk=order.id, state="released",
                     released_t=t, released_at=now, location="release queue")
    s.add(row)
    s.flush()
    row.vin = make_vin(row.id, order.variant)
    event = EventRow(t=t, at=now, kind="mes.release", station=None, vin=row.vin,
                     data={"order_id": order.order_id})
    s.add(event)
    s.flush()
    return row, event


def count_states(s: Session) -> dict[str, int]:
    """Vehicles per state."""
    rows = s.execute(select(VehicleRow.state, func.count()).group_by(VehicleRow.state)).all()
    return {state: int(n) for state, n in rows}


def list_vehicles(s: Session, *, state: str | None = None, order_id: str | None = None,
                  location: str | None = None, limit: int = 50,
                  offset: int = 0) -> tuple[list[tuple[VehicleRow, OrderRow]], int]:
    """A page of vehicles (newest first) with their orders, and the total."""
    q = select(VehicleRow, OrderRow).join(OrderRow, OrderRow.id == VehicleRow.order_pk)
    if state is not None:
        q = q.where(VehicleRow.state == state)
    if order_id is not None:
        q = q.where(OrderRow.order_id == order_id)
    if location is not None:
        q = q.where(VehicleRow.location == location)
    total = s.scalar(select(func.count()).select_from(q.subquery())) or 0
    rows = s.execute(q.order_by(VehicleRow.id.desc()).limit(limit).offset(offset)).all()
    return [(v, o) for v, o in rows], int(total)


@dataclass
class VehicleDetail:
    """A vehicle with everything known about it."""

    vehicle: VehicleRow
    order: OrderRow
    steps: list[StepRow]
    parts: list[PartRow]
    events: list[EventRow]


def get_vehicle(s: Session, vin: str, *, events: int = 200) -> VehicleDetail:
    row = s.scalar(select(VehicleRow).where(VehicleRow.vin == vin))
    if row is None:
        raise NotFoundError(f"no vehicle {vin!r}")
    order = s.get(OrderRow, row.order_pk)
    assert order is not None
    steps = s.scalars(select(StepRow).where(StepRow.vehicle_id == row.id)
                      .order_by(StepRow.id)).all()
    parts = s.scalars(select(PartRow).where(PartRow.vehicle_id == row.id)
                      .order_by(PartRow.id)).all()
    evs = s.scalars(select(EventRow).where(EventRow.vin == vin).order_by(EventRow.id)
                    .limit(events)).all()
    return VehicleDetail(row, order, list(steps), list(parts), list(evs))


@dataclass
class InPlant:
    """A vehicle the MES believes to be in the plant, and where (for a restart)."""

    vehicle: VehicleRow
    order: OrderRow
    open_step: StepRow | None = None
    last_done: StepRow | None = None
    visited: set[str] = field(default_factory=set)
    parts: set[str] = field(default_factory=set)
    since: float = 0.0
    first_pass: bool = True


def in_plant(s: Session) -> list[InPlant]:
    """Every vehicle released and not yet dispatched, with its last known position."""
    pairs = s.execute(select(VehicleRow, OrderRow)
                      .join(OrderRow, OrderRow.id == VehicleRow.order_pk)
                      .where(VehicleRow.state.in_(IN_PLANT))
                      .order_by(VehicleRow.id)).all()
    out = {v.id: InPlant(v, o, since=v.entered_t if v.entered_t is not None else v.released_t)
           for v, o in pairs}
    ids: Sequence[int] = list(out)
    for step in s.scalars(select(StepRow).where(StepRow.vehicle_id.in_(ids),
                                                StepRow.interrupted.is_(False))
                          .order_by(StepRow.id)).all():
        item = out[step.vehicle_id]
        item.visited.add(step.station)
        if step.good is False:
            item.first_pass = False
        if step.finished_t is None:
            item.open_step = step
        else:
            item.open_step = None
            item.last_done = step
            item.since = step.finished_t
    for part in s.scalars(select(PartRow).where(PartRow.vehicle_id.in_(ids))).all():
        out[part.vehicle_id].parts.add(part.part)
    return list(out.values())
