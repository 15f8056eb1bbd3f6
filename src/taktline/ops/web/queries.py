"""What the dashboard reads from the store beyond the resource routes: counts of the plant
day, throughput and lead-time series, and the orders table with search and progress.

Plain functions of a session (they know nothing of HTTP). Plant time is seconds since
the plant started; a plant day is ``[k * 86400, (k + 1) * 86400)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from taktline.ops.store.models import OrderRow, VehicleRow
from taktline.ops.store.orders import order_of
from taktline.ops.topology import Topology

__all__ = ["DAY_S", "OrderLine", "Progress", "completed_between", "lead_times", "line_dict",
           "order_lines", "throughput", "wip_now"]

DAY_S = 86400.0


def completed_between(s: Session, start: float, end: float) -> int:
    """Vehicles completed (dispatched) in ``[start, end)`` of plant time."""
    n = s.scalar(select(func.count()).select_from(VehicleRow).where(
        VehicleRow.completed_t >= start, VehicleRow.completed_t < end))
    return int(n or 0)


def wip_now(s: Session) -> int:
    """Vehicles released and not completed."""
    n = s.scalar(select(func.count()).select_from(VehicleRow).where(
        VehicleRow.state.in_(("released", "in_process"))))
    return int(n or 0)


def throughput(s: Session, start: float, end: float, bins: int) -> list[dict[str, float]]:
    """Completed vehicles per bin of ``[start, end)`` as JPH (vehicles an hour)."""
    width = (end - start) / bins
    times = s.scalars(select(VehicleRow.completed_t).where(
        VehicleRow.completed_t >= start, VehicleRow.completed_t < end)).all()
    counts = [0] * bins
    for t in times:
        if t is not None:
            counts[min(bins - 1, int((t - start) // width))] += 1
    return [{"t0": start + k * width, "t1": start + (k + 1) * width,
             "vehicles": float(c), "jph": c * 3600.0 / width} for k, c in enumerate(counts)]


def lead_times(s: Session, start: float, end: float, bins: int) -> dict[str, Any]:
    """Histogram of the lead time (entering the plant to dispatch, as the KPIs count
    it) of vehicles completed in the window: bin edges (seconds), counts, mean and 95th
    percentile."""
    entered = func.coalesce(VehicleRow.entered_t, VehicleRow.released_t)
    rows = s.execute(select(entered, VehicleRow.completed_t).where(
        VehicleRow.completed_t >= start, VehicleRow.completed_t < end)).all()
    values = sorted(c - r for r, c in rows if c is not None)
    if not values:
        return {"edges": [], "counts": [], "n": 0, "mean_s": None, "p95_s": None}
    lo, hi = values[0], values[-1]
    width = (hi - lo) / bins if hi > lo else 1.0
    counts = [0] * bins
    for v in values:
        counts[min(bins - 1, int((v - lo) // width))] += 1
    p95 = values[min(len(values) - 1, math.ceil(0.95 * len(values)) - 1)]
    return {"edges": [lo + k * width for k in range(bins + 1)], "counts": counts,
            "n": len(values), "mean_s": sum(values) / len(values), "p95_s": p95}


class Progress:
    """How far along the vehicle path a location is (0 at release, 1 when completed)."""

    def __init__(self, topo: Topology) -> None:
        order = list(topo.vehicle_stations)
        self.n = max(1, len(order))
        self.rank = {st: k + 1 for k, st in enumerate(order)}
        for st in topo.plant.stations:  # a buffer counts as done by its first producer
            for o in st.outputs:
                self.rank.setdefault(o.buffer, self.rank.get(st.id, 0))
        for b in topo.entry_buffers:
            self.rank[b] = 0

    def of(self, state: str | None, location: str | None) -> float:
        if state == "completed":
            return 1.0
        if location is None:
            return 0.0
        place = location.removeprefix("after ")
        return min(1.0, self.rank.get(place, 0) / self.n)


@dataclass(frozen=True, slots=True)
class OrderLine:
    order: OrderRow
    vehicle: VehicleRow | None


def order_lines(s: Session, *, q: str | None, status: str | None, variant: str | None,
                colour: str | None, limit: int, offset: int) -> tuple[list[OrderLine], int]:
    """Orders newest first with their vehicles; ``q`` matches a part of the order id or
    the VIN (case-insensitive)."""
    stmt = select(OrderRow, VehicleRow).outerjoin(VehicleRow, VehicleRow.order_pk == OrderRow.id)
    conds = []
    if q:
        like = f"%{q.lower()}%"
        conds.append(or_(func.lower(OrderRow.order_id).like(like),
                         func.lower(VehicleRow.vin).like(like)))
    if status is not None:
        conds.append(OrderRow.status == status)
    if variant is not None:
        conds.append(OrderRow.variant == variant)
    if colour is not None:
        conds.append(OrderRow.colour == colour)
    if conds:
        stmt = stmt.where(and_(*conds))
    total = s.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = s.execute(stmt.order_by(OrderRow.id.desc()).limit(limit).offset(offset)).all()
    return [OrderLine(o, v) for o, v in rows], int(total)


def line_dict(line: OrderLine, progress: Progress) -> dict[str, Any]:
    o, v = line.order, line.vehicle
    return {"order_id": o.order_id, "variant": o.variant, "colour": o.colour,
            "options": list(order_of(o)), "status": o.status,
            "vin": v.vin if v else None, "vehicle_state": v.state if v else None,
            "location": v.location if v else None,
            "eol_result": v.eol_result if v else None,
            "progress": progress.of(v.state, v.location) if v else 0.0}
