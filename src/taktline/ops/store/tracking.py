"""Tracking: what plant events do to the store (one batch, inside one transaction).

Every event is appended to the event log; besides that:

========== ==============================================================================
released   the vehicle is in the line (``in_process``)
started    a new station step of the vehicle; its location is the station
finished   the step ends (result, robots); a quality gate's result is kept, the last
           gate on the path gives the end-of-line result
part       a part joins the vehicle: genealogy (serial, press lot)
transport  an AGV set the vehicle down at its next buffer
dispatched the vehicle left: ``completed``, first-pass flag; its order ``completed``
state      the station's current state
down / up  an andon event opens / closes (failures and planned stops)
degraded   the open andon is answered by degraded mode; the station is marked degraded
recovered  the station runs at full rate again
========== ==============================================================================
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from taktline.ops.driver import PlantEvent
from taktline.ops.store.models import (
    AndonRow,
    EventRow,
    OrderRow,
    PartRow,
    StationRow,
    StepRow,
    VehicleRow,
)

__all__ = ["Tracker", "TrackingContext"]


@dataclass(frozen=True)
class TrackingContext:
    """What tracking needs to know about the plant."""

    robots: dict[str, tuple[str, ...]]  # station -> all its robots
    gates: frozenset[str]  # quality gates on the vehicle path
    eol_gate: str | None  # the last of them: its result is the end-of-line result


class Tracker:
    """Applies batches of plant events to the store (see the module docstring)."""

    def __init__(self, ctx: TrackingContext) -> None:
        self.ctx = ctx

    def apply(self, s: Session, events: Sequence[PlantEvent], *, base: float,
              now: datetime) -> list[EventRow]:
        """Apply ``events`` (plant times + ``base`` = MES plant time); returns the log rows."""
        vins = {e.vin for e in events if e.vin is not None}
        vehicles = {v.vin: v for v in s.scalars(
            select(VehicleRow).where(VehicleRow.vin.in_(vins)))} if vins else {}
        ids = [v.id for v in vehicles.values()]
        open_steps: dict[tuple[int, str], StepRow] = {}
        if ids:
            for st in s.scalars(select(StepRow).where(StepRow.vehicle_id.in_(ids),
                                                      StepRow.finished_t.is_(None),
                                                      StepRow.interrupted.is_(False))):
                open_steps[(st.vehicle_id, st.station)] = st
        stations = {r.id: r for r in s.scalars(select(StationRow))}
        rows = []
        for e in events:
            t = base + e.time
            row = EventRow(t=t, at=now, kind=e.kind, station=e.station, vin=e.vin,
                           data=_stored(e.data, base))
            rows.append(row)
            vehicle = vehicles.get(e.vin) if e.vin is not None else None
            if e.station is not None:
                self._station(s, stations, e, t, now)
            if vehicle is not None:
                self._vehicle(s, vehicle, open_steps, e, t, now)
            elif e.kind in ("down", "up", "degraded"):
                self._andon(s, e, t, now)
        s.add_all(rows)
        s.flush()
        return rows

    # -- stations and andon ------------------------------------------------------------
    def _station(self, s: Session, stations: dict[str, StationRow], e: PlantEvent, t: float,
                 now: datetime) -> None:
        assert e.station is not None
        row = stations.get(e.station)
        if row is None:
            row = StationRow(id=e.station, state="starved", since_t=t, held=False,
                             degraded=False, finished=0, updated_at=now)
            s.add(row)
            stations[e.station] = row
        if e.kind == "state":
            row.state = str(e.data.get("state", row.state))
            row.held = row.state == "stopped" or (row.held and row.state == "failed")
            row.since_t = t
        elif e.kind == "finished":
            row.finished += 1
        elif e.kind == "degraded":
            row.degraded = True
        elif e.kind == "recovered":
            row.degraded = False
        row.updated_at = now

    def _andon(self, s: Session, e: PlantEvent, t: float, now: datetime) -> None:
        assert e.station is not None
        planned = bool(e.data.get("planned", False))
        cause = str(e.data.get("cause", "unknown"))
        if e.kind == "down":
            s.add(AndonRow(station=e.station, cause=cause, planned=planned, start_t=t,
                           start_at=now))
            s.flush()
            return
        q = (select(AndonRow).where(AndonRow.station == e.station, AndonRow.end_t.is_(None))
             .order_by(AndonRow.id))
        if e.kind == "up":
            q = q.where(AndonRow.cause == cause, AndonRow.planned == planned)
        row = s.scalars(q.limit(1)).first()
        if row is None:  # opened before a restart and closed then
            return
        if e.kind == "up":
            row.end_t = t
            row.end_at = now
        else:
            row.action = "degraded"
            row.note = f"{e.data.get('robot')} out; others run at x{e.data.get('factor')}"

    # -- vehicles ----------------------------------------------------------------------
    def _vehicle(self, s: Session, v: VehicleRow, open_steps: dict[tuple[int, str], StepRow],
                 e: PlantEvent, t: float, now: datetime) -> None:
        kind = e.kind
        if kind == "released":
            v.state = "in_process"
            v.entered_t = t
            v.location = "line entry"
        elif kind == "started" and e.station is not None:
            step = StepRow(vehicle_id=v.id, station=e.station, started_t=t, interrupted=False)
            s.add(step)
            open_steps[(v.id, e.station)] = step
            v.location = e.station
        elif kind == "finished" and e.station is not None:
            self._finished(s, v, open_steps, e, t)
        elif kind == "part" and e.station is not None:
            s.add(PartRow(vehicle_id=v.id, station=e.station, part=str(e.data.get("part")),
                          serial=str(e.data.get("serial")), lot=e.data.get("lot"), t=t))
        elif kind == "transport":
            v.location = f"buffer {e.data.get('to')}"
        elif kind == "dispatched":
            v.state = "completed"
            v.completed_t = t
            v.completed_at = now
            v.first_pass = bool(e.data.get("good", True))
            v.location = "dispatched"
            order = s.get(OrderRow, v.order_pk)
            if order is not None:
                order.status = "completed"
                order.completed_at = now

    def _finished(self, s: Session, v: VehicleRow,
                  open_steps: dict[tuple[int, str], StepRow], e: PlantEvent, t: float) -> None:
        station = e.station
        assert station is not None
        step = open_steps.pop((v.id, station), None)
        if step is None:  # its start was not seen (a driver that reports only ends)
            start = e.data.get("start")
            step = StepRow(vehicle_id=v.id, station=station, interrupted=False,
                           started_t=t - (e.time - start) if isinstance(start, float) else t)
            s.add(step)
        good = bool(e.data.get("good", True))
        step.finished_t = t
        step.good = good
        robots = e.data.get("robots")
        if robots is not None and tuple(robots) != self.ctx.robots.get(station, ()):
            step.robots = list(robots)
        v.location = f"after {station}"
        if station == self.ctx.eol_gate and v.eol_result is None:
            v.eol_result = "pass" if good else "fail"


TIMES = ("start", "until", "picked", "eta_t")
"""Event data that are plant times (shifted to the MES's plant clock when stored)."""


def _stored(data: dict[str, Any], base: float) -> dict[str, Any]:
    """Event data as stored: plant times on the MES clock; the robots are in the step."""
    out = {k: v for k, v in data.items() if k != "robots"}
    for k in TIMES:
        if isinstance(out.get(k), float | int):
            out[k] = base + float(out[k])
    return out
