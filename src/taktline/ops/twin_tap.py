"""Taps on the reference engine: what the twin does, turned into :class:`PlantEvent` objects.

The model builder gives every station, source and sink small *recorder* callables that
append to the record tables. The tap replaces them on its own model (the engine code is
untouched) with functions that emit events instead, so nothing accumulates over a run
that lasts for weeks. Besides the recorders it uses public seams of the engine only:

* ``Station.on_finish`` at the press stations, to number press lots (a lot is a run of
  one part between die changes) and remember the lot of every panel by its serial;
* a wrapper around each failure mode's repair-time sampler, called exactly when a
  failure begins: it announces the failure with its cause and asks the fault handler
  whether to run degraded (then the repair is a switch-over and the station runs
  slower until the robot is repaired);
* a wrapper around each station's cycle-time samplers, applying that slowdown;
* the servers' state, read after each step, to announce work that has started.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from taktline.ops.driver import EventKind, Fault, FaultHandler, PlantEvent
from taktline.ops.topology import Topology
from taktline.sim.buffer import Item
from taktline.sim.model import Model
from taktline.sim.random import Sampler
from taktline.sim.records import State
from taktline.sim.station import SETUP, WORK, Station

__all__ = ["STATE_NAMES", "Tap"]

STATE_NAMES = {State.STARVED: "starved", State.WORKING: "working", State.BLOCKED: "blocked",
               State.FAILED: "failed", State.SETUP: "setup", State.PLANNED: "planned"}
INITIAL_LOT = "initial-stock"


class _Scaled:
    """A cycle-time sampler times the station's current degraded-mode factor."""

    __slots__ = ("base", "factors", "idx")

    def __init__(self, base: Sampler, factors: list[float], idx: int) -> None:
        self.base = base
        self.factors = factors
        self.idx = idx

    def __call__(self) -> float:
        return self.base() * self.factors[self.idx]


@dataclass
class _Degraded:
    robot: str
    factor: float
    since: float


class Tap:
    """Hooks a :class:`Model` and collects its happenings as events (see module doc)."""

    def __init__(self, model: Model, topo: Topology, vin_of: dict[int, str],
                 switchover_rng: np.random.Generator | None = None) -> None:
        self.model = model
        self.topo = topo
        self.vin_of = vin_of
        self.pending: list[tuple[float, EventKind, str | None, str | None, dict[str, Any]]] = []
        self.fault_handler: FaultHandler | None = None
        self.stations = list(model.stations.values())
        self.names = [st.id for st in self.stations]
        n = len(self.stations)
        self.state = ["starved"] * n
        self.since = [0.0] * n
        self.finished = [0] * n
        self.held = [False] * n
        self.counts: list[tuple[int, ...]] = [(0, 0, 0)] * n
        self.factors = [1.0] * n
        self.degraded: dict[int, _Degraded] = {}
        self.in_work: list[set[int]] = [set() for _ in range(n)]
        self.lot_no = [0] * n
        self.lot_part = [-1] * n
        self.lot_of: dict[int, str] = {}
        self.mttr = {st.id: {f.name: f.ttr.mean_value for f in st.failures}
                     for st in model.plant.stations}
        self.stop_cause = model.log.intern("stop_command")
        for i, st in enumerate(self.stations):
            self._hook_station(i, st)
        self._name_initial_stock()
        self.pressed = self._pressed_parts()
        for sink in model.sinks:
            sink.record = self._on_dispatch
        for fleet in model.fleets:
            fleet.rec_state = _ignore
            fleet.rec_transport = self._on_transport

    # -- hooking ---------------------------------------------------------------------
    def _hook_station(self, i: int, st: Station) -> None:
        st.rec_state = partial(self._on_state, i)
        st.rec_op = partial(self._on_op, i)
        st.rec_setup = partial(self._on_setup, i)
        st.rec_overload = self._on_overload
        st.rec_down = self._on_down_end
        st.rec_join = self._on_join
        st.cycle = [_Scaled(s, self.factors, i) for s in st.cycle]  # type: ignore[misc]
        for mode in (*st.op_modes, *st.cal_modes):
            mode.ttr = _Repair(self, i, mode.cause, mode.ttr)  # type: ignore[assignment]
        if st.id in self.topo.press_stations:
            st.on_finish.append(partial(self._on_press, i))

    def _name_initial_stock(self) -> None:
        """Initial stock in a press's stores is the part that press makes for that store."""
        log = self.model.log
        for sid in self.topo.press_stations:
            for out in self.model.plant.station(sid).outputs:
                if out.part:
                    code = log.intern(out.part)
                    for item in self.model.buffers[out.buffer].items:
                        item.part = code

    def _pressed_parts(self) -> frozenset[str]:
        """Parts made by the press stations (their lots are traced)."""
        found: set[str] = set()
        for sid in self.topo.press_stations:
            st = self.model.plant.station(sid)
            found.update(o.part for o in st.outputs if o.part)
            if st.produces:
                found.add(st.produces)
        return frozenset(found)

    def emit(self, time: float, kind: EventKind, station: str | None = None,
             vin: str | None = None, **data: Any) -> None:
        self.pending.append((time, kind, station, vin, data))

    def vin(self, vehicle: int) -> str | None:
        return self.vin_of.get(vehicle) if vehicle >= 0 else None

    # -- station recorders -------------------------------------------------------------
    def _on_state(self, i: int, time: float, code: int, *counts: int) -> None:
        """The station's state (and, for several servers, how many work / set up /
        block: ``counts``, as the engine records them) changed."""
        name = STATE_NAMES[State(code)]
        if code == State.PLANNED and self.held[i]:
            name = "stopped"
        self.set_state(i, time, name, counts)

    def set_state(self, i: int, time: float, name: str,
                  counts: tuple[int, ...] = ()) -> None:
        prev = self.state[i]
        if name == prev and (not counts or counts == self.counts[i]):
            return
        self.state[i] = name
        if counts:
            self.counts[i] = counts
        data: dict[str, Any] = {"state": name, "previous": prev or None}
        if len(self.stations[i].servers) > 1:
            data.update(zip(("working", "setup", "blocked"), self.counts[i], strict=True))
        if name != prev:
            self.since[i] = time
        self.emit(time, "state", self.names[i], None, **data)
        if name == "planned" and prev != "planned":
            cause = self.model.log.names[self.stations[i].planned_cause]
            self.emit(time, "down", self.names[i], cause=cause, planned=True)

    def _on_op(self, i: int, start: float, end: float, vehicle: int, variant: int,
               good: int) -> None:
        self.finished[i] += 1
        sid = self.names[i]
        vin = self.vin(vehicle)
        if vin is None:
            self.emit(end, "finished", sid, None, start=start, good=bool(good), variant=None)
            return
        if vehicle not in self.in_work[i]:
            self.emit(start, "started", sid, vin)
        self.in_work[i].discard(vehicle)
        self.emit(end, "finished", sid, vin, start=start, good=bool(good),
                  variant=self.model.variants[variant], robots=self.robots(i))

    def robots(self, i: int) -> list[str]:
        ids = self.topo.robots[self.names[i]]
        deg = self.degraded.get(i)
        return [r for r in ids if deg is None or r != deg.robot]

    def _on_setup(self, i: int, time: float, s: int, duration: float, a: int, b: int) -> None:
        st = self.stations[i]
        self.emit(time, "setup", self.names[i], None, duration_s=duration,
                  **{"from": self._family(st, a), "to": self._family(st, b)})

    def _family(self, st: Station, code: int) -> str:
        m = self.model
        if code < 0:
            return "-"
        names = {"colour": m.colours, "variant": m.variants, "model": m.models}.get(
            st.setup_attr or "")
        return names[code] if names is not None else m.log.names[code]

    def _on_overload(self, time: float, s: int, vehicle: int, option: int) -> None:
        self.emit(time, "overload", self.names[s], self.vin(vehicle),
                  option=self.model.options[option])

    def _on_down_end(self, start: float, end: float, s: int, cause: int, planned: int) -> None:
        if cause == self.stop_cause:  # a stop command: not a downtime of the plant's own
            return
        self.emit(end, "up", self.names[s], None, cause=self.model.log.names[cause],
                  duration_s=end - start, planned=bool(planned))

    def _on_join(self, time: float, s: int, vehicle: int, part: int, serial: int) -> None:
        lot = self.lot_of.pop(serial, None)
        name = self.model.log.names[part]
        data: dict[str, Any] = {"part": name, "serial": f"{name.upper()}-{serial:09d}"}
        if name in self.pressed:
            data["lot"] = lot or INITIAL_LOT
        self.emit(time, "part", self.names[s], self.vin(vehicle), **data)

    def _on_press(self, i: int, item: Item) -> None:
        if item.part != self.lot_part[i]:
            self.lot_part[i] = item.part
            self.lot_no[i] += 1
        part = self.model.log.names[item.part]
        self.lot_of[item.serial] = f"{self.names[i]}-{self.lot_no[i]:05d}-{part}"

    # -- sources, sinks, AGVs ------------------------------------------------------------
    def on_release(self, item: Item) -> None:
        self.emit(self.model.kernel.now, "released", None, self.vin(item.vehicle))

    def _on_dispatch(self, time: float, vehicle: int, sink: int, good: int) -> None:
        vin = self.vin_of.pop(vehicle, None)
        self.emit(time, "dispatched", None, vin, good=bool(good),
                  sink=self.model.log.names[sink])

    def _on_transport(self, dispatched: float, picked: float, dropped: float, fleet: int,
                      agv: int, move: int, vehicle: int) -> None:
        vin = self.vin(vehicle)
        if vin is None:
            return
        spec = self.model.plant.fleets[fleet]
        mv = spec.moves[move]
        self.emit(dropped, "transport", None, vin, fleet=spec.id, agv=agv, picked=picked,
                  **{"from": mv.from_, "to": mv.to})

    # -- failures and degraded mode --------------------------------------------------------
    def failure_begins(self, i: int, cause: int, repair: float) -> float:
        """A failure begins now; returns how long the station actually stands still."""
        now = self.model.kernel.now
        sid = self.names[i]
        cname = self.model.log.names[cause]
        self.emit(now, "down", sid, None, cause=cname, planned=False, repair_s=repair)
        handler = self.fault_handler
        if handler is None or i in self.degraded:
            return repair
        answer = handler(Fault(sid, cname, now, self.mttr[sid].get(cname, repair)))
        if answer is None or repair <= answer.switchover_s:
            return repair
        self.degraded[i] = _Degraded(answer.robot, answer.factor, now)
        self.factors[i] = answer.factor
        self.emit(now, "degraded", sid, None, cause=cname, robot=answer.robot,
                  factor=answer.factor, switchover_s=answer.switchover_s,
                  until=now + repair)
        self.model.kernel.at(now + repair, self._recover, i)
        return answer.switchover_s

    def _recover(self, i: int) -> None:
        deg = self.degraded.pop(i, None)
        if deg is None:
            return
        self.factors[i] = 1.0
        now = self.model.kernel.now
        self.emit(now, "recovered", self.names[i], None, robot=deg.robot,
                  duration_s=now - deg.since)

    # -- after each step ---------------------------------------------------------------------
    def scan_started(self) -> None:
        """Announce vehicles that servers began to work on and are still working on."""
        for i, st in enumerate(self.stations):
            seen = self.in_work[i]
            for server in st.servers:
                item = server.item
                if item is None or item.vehicle < 0 or server.state not in (SETUP, WORK):
                    continue
                if item.vehicle not in seen:
                    seen.add(item.vehicle)
                    self.emit(server.start, "started", self.names[i], self.vin(item.vehicle))

    def drain(self, seq: int) -> list[PlantEvent]:
        """The events collected since the last drain, in time order, numbered from ``seq``."""
        pending = self.pending
        self.pending = []
        pending.sort(key=lambda e: e[0])
        return [PlantEvent(seq + k, t, kind, st, vin, data)
                for k, (t, kind, st, vin, data) in enumerate(pending)]


class _Repair:
    """Wraps a failure mode's repair-time sampler: called exactly at the failure onset."""

    __slots__ = ("base", "cause", "idx", "tap")

    def __init__(self, tap: Tap, idx: int, cause: int, base: Callable[[], float]) -> None:
        self.tap = tap
        self.idx = idx
        self.cause = cause
        self.base = base

    def __call__(self) -> float:
        repair = self.base()
        return self.tap.failure_begins(self.idx, self.cause, repair)


def _ignore(*_: Any) -> None:
    return None

