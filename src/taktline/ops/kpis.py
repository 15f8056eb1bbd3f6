"""Live KPIs: the offline twin's analysis, run on the MES's event log.

The event log of a window of plant time is turned back into the twin's records
(:class:`~taktline.sim.records.RecordLog`: state changes, operations, releases,
dispatches, downtimes, setups, overloads) and handed to
:func:`taktline.analysis.compute_kpis` - the very code that reports an offline run - so
JPH, takt attainment, OEE per shop (ISO 22400-2) and the bottleneck mean the same
thing live as in ``taktline simulate``. It works with any plant driver: the log holds
what the plant reported, whether the plant is the twin or real equipment.

Vehicles are numbered by their first appearance in the window; a stopped station
(a hold) counts as planned downtime, like a maintenance window.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from taktline.analysis import KpiReport, compute_kpis
from taktline.ops.store.models import EventRow
from taktline.plant.schema import Plant
from taktline.sim.records import RecordLog, State
from taktline.sim.run import Run

__all__ = ["live_kpis"]

CODES = {"starved": State.STARVED, "working": State.WORKING, "blocked": State.BLOCKED,
         "failed": State.FAILED, "setup": State.SETUP, "planned": State.PLANNED,
         "stopped": State.PLANNED}
KINDS = ("state", "finished", "released", "dispatched", "up", "setup", "overload")


class _Builder:
    """Fills a RecordLog from log rows."""

    def __init__(self, plant: Plant) -> None:
        p = plant.products
        self.log = RecordLog(
            stations=[s.id for s in plant.stations], buffers=[b.id for b in plant.buffers],
            variants=[v.id for v in p.variants], colours=[c.id for c in p.colours],
            options=[o.id for o in p.options], fleets=[f.id for f in plant.fleets])
        self.st = {s: i for i, s in enumerate(self.log.stations)}
        self.var = {v: i for i, v in enumerate(self.log.variants)}
        self.opt = {o: i for i, o in enumerate(self.log.options)}
        self.vehicles: dict[str, int] = {}
        self.rows: dict[str, list[tuple[Any, ...]]] = {k: [] for k in self.log.tables}
        self.states: list[list[tuple[float, int, int, int, int]]] = [[] for _ in self.st]
        self.ops: list[list[tuple[Any, ...]]] = [[] for _ in self.st]

    def vehicle(self, vin: str | None) -> int:
        if vin is None:
            return -1
        n = self.vehicles.get(vin)
        if n is None:
            n = self.vehicles[vin] = len(self.vehicles)
            self.log.orders.append(vin)
        return n

    def add(self, e: EventRow) -> None:
        i = self.st.get(e.station or "", -1)
        d = e.data
        if e.kind == "state" and i >= 0:
            code = CODES.get(str(d.get("state")), State.STARVED)
            one = (int(code == State.WORKING), int(code == State.SETUP),
                   int(code == State.BLOCKED))
            counts = tuple(int(d.get(k, x)) for k, x in
                           zip(("working", "setup", "blocked"), one, strict=True))
            self.states[i].append((e.t, int(code), *counts))  # type: ignore[arg-type]
        elif e.kind == "finished" and i >= 0:
            start = min(float(d.get("start", e.t)), e.t)
            self.ops[i].append((start, e.t, self.vehicle(e.vin),
                                self.var.get(str(d.get("variant")), -1),
                                int(bool(d.get("good", True)))))
        elif e.kind == "released":
            self.rows["release"].append((e.t, self.vehicle(e.vin), 0, 0, 0))
        elif e.kind == "dispatched":
            self.rows["dispatch"].append((e.t, self.vehicle(e.vin),
                                          self.log.intern(str(d.get("sink", "dispatch"))),
                                          int(bool(d.get("good", True)))))
        elif e.kind == "up" and i >= 0:
            dur = float(d.get("duration_s", 0.0))
            self.rows["downtime"].append((e.t - dur, e.t, i,
                                          self.log.intern(str(d.get("cause"))),
                                          int(bool(d.get("planned", False)))))
        elif e.kind == "setup" and i >= 0:
            self.rows["setup"].append((e.t, i, float(d.get("duration_s", 0.0)),
                                       self.log.intern(str(d.get("from"))),
                                       self.log.intern(str(d.get("to")))))
        elif e.kind == "overload" and i >= 0:
            self.rows["overload"].append((e.t, i, self.vehicle(e.vin),
                                          self.opt.get(str(d.get("option")), 0)))

    def finish(self) -> RecordLog:
        log = self.log
        for i, rows in enumerate(self.states):
            _extend(log.states[i], rows)
        for i, rows in enumerate(self.ops):
            _extend(log.ops[i], rows)
        for kind, rows in self.rows.items():
            _extend(log.table(kind), rows)
        return log


def _extend(table: Any, rows: list[tuple[Any, ...]]) -> None:
    if rows:
        cols = list(zip(*rows, strict=True))
        table.extend(*(np.asarray(c) for c in cols))


def _events(s: Session, start: float, end: float) -> Iterable[EventRow]:
    q = (select(EventRow).where(EventRow.kind.in_(KINDS), EventRow.t >= start,
                                EventRow.t <= end).order_by(EventRow.id))
    return s.scalars(q)


def _state_before(s: Session, station: str, start: float) -> EventRow | None:
    q = (select(EventRow).where(EventRow.station == station, EventRow.t < start,
                                EventRow.kind == "state")
         .order_by(EventRow.t.desc(), EventRow.id.desc()).limit(1))
    return s.scalars(q).first()


def live_kpis(s: Session, plant: Plant, *, now: float, window_s: float) -> KpiReport:
    """KPIs of the plant time window ``[now - window_s, now)`` from the event log."""
    start = max(0.0, now - window_s)
    b = _Builder(plant)
    for st in plant.stations:
        first = _state_before(s, st.id, start)
        if first is not None:
            b.add(first)
    dispatched: list[str] = []
    for e in _events(s, start, now):
        b.add(e)
        if e.kind == "dispatched" and e.vin is not None:
            dispatched.append(e.vin)
    _release_times(s, b, dispatched, start)
    log = b.finish()
    run = Run(plant=plant, seed=0, horizon_s=max(now, start + 1e-9), warmup_s=start,
              records=log, events=0, wall_s=0.0,
              released=len(log.table("release")), completed=len(log.table("dispatch")),
              engine="reference")
    return compute_kpis(run)


def _release_times(s: Session, b: _Builder, vins: list[str], start: float) -> None:
    """Entry times of vehicles dispatched in the window that entered before it (lead time)."""
    for k in range(0, len(vins), 500):
        chunk = vins[k:k + 500]
        for e in s.scalars(select(EventRow).where(EventRow.kind == "released",
                                                  EventRow.vin.in_(chunk),
                                                  EventRow.t < start)):
            b.add(e)
