"""The twin behind the :class:`~taktline.ops.driver.PlantDriver` seam (virtual commissioning).

The twin is the readable reference engine (:class:`taktline.sim.model.Model`) of the
plant, advanced in small steps paced to the wall clock times ``speed`` (60 by default:
an hour of plant time per wall minute). The compiled engine is faster but runs a whole
horizon in one go; a twin that is steered live needs to stop between steps, take new
vehicles and commands, and report what happened, which the reference engine does.

* Vehicles enter only when the MES releases them: every vehicle source of the plant
  takes its next vehicle from the driver's release queue (empty queue: the source waits).
* Events (:mod:`taktline.ops.twin_tap`) carry the VIN the MES gave each vehicle.
* ``command(station, "stop")`` holds a station (its work in progress is preempted and
  resumes on ``start``; the hold counts as planned downtime); ``reset`` releases a hold
  like ``start`` - the twin's failures are repaired by their own repair times.
* ``speed`` can change while it runs; ``0`` pauses it. :meth:`advance` steps it by hand
  (tests, or a paused twin).
* :meth:`resume` puts vehicles back after a restart of the MES (see
  :class:`~taktline.ops.driver.VehicleResume`): a vehicle that a station was working on
  goes back to that station's input, one that a station had finished to its output, one
  not yet in the line back to the release queue. Parts it will still need from a
  just-in-sequence supplier are called off again.

The driver lives on one asyncio event loop: call it from that loop's thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import cast

from taktline.ops.driver import (
    BufferLevel,
    Command,
    FaultHandler,
    PlantEvent,
    PlantSnapshot,
    StationState,
    StationStatus,
    VehicleResume,
)
from taktline.ops.fleet.transport import InProcessTransport, MqttTransport
from taktline.ops.fleet.twin_vehicles import TwinFleets
from taktline.ops.topology import Topology
from taktline.ops.twin_tap import STATE_NAMES, Tap
from taktline.plant.orders import Order
from taktline.plant.schema import PartSource, Plant, VehicleSource
from taktline.sim.buffer import Item
from taktline.sim.model import Model
from taktline.sim.records import State
from taktline.sim.source import PartFeed, Release

__all__ = ["MAX_SPEED", "TwinDriver"]

log = logging.getLogger("taktline.ops.twin")

MAX_SPEED = 10_000.0
"""The fastest the twin may be asked to run (plant seconds per wall second)."""


class TwinDriver:
    """The plant's twin, paced to wall clock x ``speed`` (see the module docstring)."""

    def __init__(
        self,
        plant: Plant,
        *,
        seed: int = 1,
        speed: float = 60.0,
        tick_s: float = 0.1,
        max_step_s: float = 600.0,
        behind: Callable[[], bool] | None = None,
        vda5050: bool = False,
        mqtt: str | None = None,
    ) -> None:
        self._plant = plant
        self._topo = Topology.of(plant)
        self._model = Model(plant, seed, orders=[])
        self._vin_of: dict[int, str] = {}
        self._tap = Tap(self._model, self._topo, self._vin_of)
        # vda5050 (taktline serve): the AGVs are VDA 5050 vehicles of a fleet manager, in
        # process or over ``mqtt``; else the engine dispatches them, as offline runs do
        self.fleets = TwinFleets(self._model, self._agv_event, self._tap.vin) \
            if vda5050 or mqtt is not None else None
        self._mqtt = mqtt
        self._queue: deque[tuple[str, Order]] = deque()
        self._releases = self._vehicle_releases()
        self._feeds = self._call_off_feeds()
        m = self._model
        self._vidx = {v: i for i, v in enumerate(m.variants)}
        self._cidx = {c: i for i, c in enumerate(m.colours)}
        self._oidx = {o: i for i, o in enumerate(m.options)}
        self._index = {sid: i for i, sid in enumerate(self._tap.names)}
        self._subscribers: list[Callable[[PlantEvent], None]] = []
        self._seq = 0
        self._speed = 0.0
        self.set_speed(speed)
        self._tick = tick_s
        self._max_step = max_step_s
        self._behind = behind
        self._resumed: list[VehicleResume] = []
        self._task: asyncio.Task[None] | None = None
        self._begun = False
        self.error: BaseException | None = None

    # -- the PlantDriver protocol ------------------------------------------------------
    @property
    def plant(self) -> Plant:
        return self._plant

    @property
    def topology(self) -> Topology:
        return self._topo

    async def start(self) -> None:
        if self._mqtt is not None and self.fleets is not None \
                and self.fleets.transport is None and self._model.fleets:
            loop = asyncio.get_running_loop()
            self.fleets.connect(await asyncio.to_thread(
                MqttTransport, self._mqtt, f"taktline-fleet-{os.getpid()}-{id(self):x}",
                call=loop.call_soon_threadsafe))
        self.begin()
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="taktline-twin")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self.fleets is not None and self.fleets.transport is not None:
            self.fleets.transport.close()

    def subscribe(self, callback: Callable[[PlantEvent], None]) -> None:
        self._subscribers.append(callback)

    def release(self, vin: str, order: Order) -> None:
        self._codes(order)  # refuse what the twin cannot build before it is queued
        self._queue.append((vin, order))

    def command(self, station: str, action: Command) -> None:
        i = self._index[station]  # KeyError: no such station
        st = self._tap.stations[i]
        if action == "stop" and not self._tap.held[i]:
            self._tap.held[i] = True
            st.plan_down(self._tap.stop_cause)
        elif action in ("start", "reset") and self._tap.held[i]:
            self._tap.held[i] = False
            st.plan_up(self._tap.stop_cause)
        self._refresh_state(i)
        self._deliver()

    def snapshot(self) -> PlantSnapshot:
        m = self._model
        tap = self._tap
        stations = tuple(
            StationStatus(
                sid,
                cast(StationState, tap.state[i] or "starved"),
                tap.since[i],
                tuple(v for v in (tap.vin(s.item.vehicle) for s in st.servers
                                  if s.item is not None) if v is not None),
                tap.finished[i],
                tap.held[i],
                i in tap.degraded,
            )
            for i, (sid, st) in enumerate(zip(tap.names, tap.stations, strict=True))
        )
        buffers = tuple(BufferLevel(b.id, b.count, b.capacity) for b in m.buffers.values())
        agvs = tuple(
            (spec.id, agv.idx, spec.network.nodes[agv.node].id)
            for spec, fleet in zip(self._plant.fleets, m.fleets, strict=True)
            for agv in fleet.agvs
        )
        return PlantSnapshot(m.kernel.now, stations, buffers, agvs, self._speed,
                             len(self._queue))

    def set_fault_handler(self, handler: FaultHandler | None) -> None:
        self._tap.fault_handler = handler

    def resume(self, vehicles: Sequence[VehicleResume]) -> None:
        if self._begun:
            raise RuntimeError("resume() must be called before start()")
        self._resumed.extend(vehicles)

    # -- pacing ------------------------------------------------------------------------
    @property
    def speed(self) -> float:
        return self._speed

    def set_speed(self, speed: float) -> None:
        if not 0.0 <= speed <= MAX_SPEED:
            raise ValueError(f"speed must be between 0 and {MAX_SPEED:g} (got {speed})")
        self._speed = float(speed)

    @property
    def now(self) -> float:
        """Plant seconds since the driver started."""
        return self._model.kernel.now

    def begin(self) -> None:
        """Arm the twin at time 0 and put resumed vehicles back (``start`` does this)."""
        if self._begun:
            return
        self._begun = True
        self._tap.state = [""] * len(self._tap.state)  # every station reports its state
        if self.fleets is not None:
            self.fleets.connect(InProcessTransport())  # unless connected to a broker already
        self._model.begin()
        self._restore()
        self._deliver()

    def advance(self, until: float) -> None:
        """Run the twin up to plant time ``until`` and deliver what happened."""
        self.begin()
        for rel in self._releases:
            if rel.exhausted and self._queue:
                rel.exhausted = False
                rel.begin()
        self._model.kernel.run(max(until, self._model.kernel.now))
        self._tap.scan_started()
        self._deliver()

    async def _run(self) -> None:
        last = time.monotonic()
        try:
            while True:
                await asyncio.sleep(self._tick)
                now = time.monotonic()
                dt, last = now - last, now
                if self._speed <= 0.0 or (self._behind is not None and self._behind()):
                    continue
                self.advance(self._model.kernel.now + min(dt * self._speed, self._max_step))
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the twin cannot go on: keep the cause for the MES
            self.error = exc
            log.exception("the twin stopped")

    def _agv_event(self, time: float, vin: str | None, data: dict[str, object]) -> None:
        self._tap.emit(time, "agv", None, vin, **data)

    def _deliver(self) -> None:
        events = self._tap.drain(self._seq + 1)
        self._seq += len(events)
        for event in events:
            for cb in self._subscribers:
                cb(event)

    # -- building and restoring ----------------------------------------------------------
    def _vehicle_releases(self) -> list[Release]:
        """The Release objects of the vehicle sources, fed from the release queue."""
        out = []
        rels = iter(self._model.releases)
        for src in self._plant.sources:
            if isinstance(src, PartSource) and src.call_off is not None:
                continue
            rel = next(rels)
            if isinstance(src, VehicleSource):
                rel.make = self._make
                rel.on_put = self._tap.on_release
                rel.exhausted = True
                out.append(rel)
        return out

    def _call_off_feeds(self) -> list[tuple[PartFeed, str, str]]:
        specs = [s for s in self._plant.sources
                 if isinstance(s, PartSource) and s.call_off is not None]
        return [(feed, s.call_off or "", s.part)
                for feed, s in zip(self._model.feeds, specs, strict=True)]

    def _codes(self, order: Order) -> tuple[int, int, int]:
        try:
            mask = sum(1 << self._oidx[o] for o in order.options)
            return self._vidx[order.variant], self._cidx[order.colour], mask
        except KeyError as exc:
            raise ValueError(f"order {order.order_id}: {exc.args[0]!r} is not in the "
                             "plant's catalogue") from None

    def _item(self, vin: str, order: Order) -> Item:
        variant, colour, mask = self._codes(order)
        item = self._model.vehicle_item(variant, colour, mask, order.order_id)
        self._vin_of[item.vehicle] = vin
        return item

    def _make(self) -> Item | None:
        if not self._queue:
            return None
        return self._item(*self._queue.popleft())

    def _restore(self) -> None:
        topo = self._topo
        for v in sorted(self._resumed, key=lambda r: r.since):
            if not v.entered:
                self._queue.append((v.vin, v.order))
                continue
            item = self._item(v.vin, v.order)
            item.good = v.first_pass
            if v.at is not None:
                buf = topo.vehicle_input.get(v.at, topo.entry_buffers[0])
            elif v.after is not None:
                buf = topo.output_for(v.after, v.good)
            else:
                buf = topo.entry_buffers[0]
            self._model.buffers[buf].put(item)
            for feed, call_off, part in self._feeds:
                if call_off in v.visited and part not in v.parts:
                    feed.call_off(item)
        self._resumed = []

    def _refresh_state(self, i: int) -> None:
        st = self._tap.stations[i]
        code = State(st.state) if st.state >= 0 else State.STARVED
        name = "stopped" if code == State.PLANNED and self._tap.held[i] else STATE_NAMES[code]
        self._tap.set_state(i, self._model.kernel.now, name)
