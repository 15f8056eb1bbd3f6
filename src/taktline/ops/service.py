"""The MES: order intake, sequencing, release, tracking and fault handling, running the
plant through a :class:`~taktline.ops.driver.PlantDriver` and keeping everything in the
store.

One asyncio event loop runs the driver, the API and this service; database work runs in
worker threads. The flow:

* the driver's events go to an inbox; the processing task takes them in batches, lets
  the fault policies react (commands to the plant, decisions), and applies the batch,
  its decisions and their audit entries **in one transaction**; then it publishes the
  logged events to the live stream and releases vehicles while the line entry has room
  and the WIP cap allows it - one transaction per vehicle, the VIN assigned in it, the
  vehicle handed to the driver only after the commit;
* the sequencing task re-sequences the unreleased orders (frozen horizon) when orders
  came or went, or a policy asked for it, at most every ``interval_s``;
* at start it recovers: the plant clock continues from the event log, steps that were
  under way are marked interrupted, andon events still open are closed, and every
  vehicle the store says is in the plant is handed back to the driver
  (:meth:`~taktline.ops.driver.PlantDriver.resume`) - none is lost or created twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import deque
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError

from taktline.analysis import KpiReport
from taktline.errors import ConflictError, NotFoundError, SettingsError, StoreError
from taktline.ops.driver import Command, Paced, PlantDriver, PlantEvent, VehicleResume
from taktline.ops.intake import OrderIn, check_orders
from taktline.ops.kpis import live_kpis
from taktline.ops.policies import ADMIN, Decision, Policies
from taktline.ops.sequencer import SolverProcess, resequence_queue
from taktline.ops.settings import Settings
from taktline.ops.store import log as store_log
from taktline.ops.store import orders as store_orders
from taktline.ops.store import vehicles as store_vehicles
from taktline.ops.store.db import Store
from taktline.ops.store.models import EventRow, OrderRow
from taktline.ops.store.tracking import Tracker, TrackingContext
from taktline.ops.stream import Hub
from taktline.ops.topology import Topology
from taktline.plant.orders import Order

__all__ = ["Mes", "utcnow"]

log = logging.getLogger("taktline.ops")
BATCH = 5000
BEHIND = 50_000


def utcnow() -> datetime:
    return datetime.now(UTC)


class Mes:
    """The manufacturing execution system of one plant (see the module docstring)."""

    def __init__(self, settings: Settings, driver: PlantDriver, store: Store) -> None:
        self.settings = settings
        self.driver = driver
        self.plant = driver.plant
        self.store = store
        self.topo = Topology.of(self.plant)
        self.policies = Policies(settings.policies, self.topo)
        gates = self.topo.quality_gates
        self.tracker = Tracker(TrackingContext(self.topo.robots, frozenset(gates),
                                               gates[-1] if gates else None))
        self.hub = Hub()
        self.base = 0.0
        self.last_t = 0.0
        self._inbox: deque[PlantEvent] = deque()
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        self._tasks: list[asyncio.Task[None]] = []
        self._dirty = True
        self._solver = SolverProcess()
        self._kpi_cache: dict[float, tuple[float, KpiReport]] = {}
        self.running = False
        self.error: BaseException | None = None

    # -- life cycle ----------------------------------------------------------------------
    async def start(self) -> None:
        resumes, held = await asyncio.to_thread(self._recover)
        self.driver.resume(resumes)
        self.driver.set_fault_handler(self.policies.on_fault)
        self.driver.subscribe(self._on_event)
        await self.driver.start()
        await self._keep_admin_holds(held)
        self.running = True
        self._tasks = [asyncio.create_task(self._process_loop(), name="mes-process"),
                       asyncio.create_task(self._sequence_loop(), name="mes-sequence"),
                       asyncio.create_task(self.hub.tail(self.store), name="mes-stream"),
                       asyncio.create_task(self._retention_loop(), name="mes-retention")]

    async def stop(self) -> None:
        self.running = False
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        await asyncio.to_thread(self._solver.close)
        await self.driver.stop()
        await self._process_once()  # what the plant did last is not lost on a clean stop

    def behind(self) -> bool:
        """True when the inbox is long: a paced twin waits for the MES to catch up."""
        return len(self._inbox) > BEHIND

    @property
    def now(self) -> float:
        """The plant clock (plant seconds, continuous across restarts): the driver's
        clock where it has one (the twin), else the time of its latest event."""
        clock = getattr(self.driver, "now", None)
        return self.base + (float(clock) if isinstance(clock, float | int) else self.last_t)

    async def flush(self) -> None:
        """Apply every event received so far, then release what may be released."""
        while True:
            await self._process_once()
            if not self._inbox:
                break
        async with self._lock:
            await self._release_step()
        await self._process_once()  # decisions the release step made

    def _on_event(self, event: PlantEvent) -> None:
        self._inbox.append(event)
        self.last_t = max(self.last_t, event.time)
        if len(self._inbox) > 200:
            self._wake.set()

    # -- recovery --------------------------------------------------------------------------
    def _recover(self) -> tuple[list[VehicleResume], list[str]]:
        now = utcnow()
        with self.store.tx() as s:
            name = store_log.get_meta(s, "plant")
            if name is not None and name != self.plant.name:
                raise SettingsError(f"the database holds plant {name!r}, not "
                                    f"{self.plant.name!r}: use another database", field="db")
            store_log.set_meta(s, "plant", self.plant.name)
            restarts = int(store_log.get_meta(s, "starts") or 0) + 1
            store_log.set_meta(s, "starts", str(restarts))
            self.base = t = store_log.plant_clock(s)
            resumes = [self._resume_of(item) for item in store_vehicles.in_plant(s)]
            stats = store_log.recover(s, t=t, now=now)
            for r in resumes:
                s.add(EventRow(t=t, at=now, kind="mes.resumed", station=r.at or r.after,
                               vin=r.vin, data={"entered": r.entered, "at": r.at,
                                                "after": r.after}))
            store_log.add_audit(
                s, t=t, now=now, actor="mes", action="start", subject="service",
                reason=f"start #{restarts} at plant time {t:.0f} s: {len(resumes)} vehicles "
                f"in the plant handed back to the driver, {stats['interrupted_steps']} "
                f"interrupted steps, {stats['closed_andon']} andon events closed",
                data={"resumed": len(resumes), **stats})
            held = json.loads(store_log.get_meta(s, "admin_holds") or "[]")
        return resumes, [str(x) for x in held]

    @staticmethod
    def _resume_of(item: store_vehicles.InPlant) -> VehicleResume:
        v, o = item.vehicle, item.order
        order = Order(o.order_id, o.variant, o.colour, store_orders.order_of(o))
        return VehicleResume(
            vin=v.vin, order=order, entered=v.entered_t is not None,
            at=item.open_step.station if item.open_step is not None else None,
            after=item.last_done.station if item.last_done is not None else None,
            good=item.last_done.good is not False if item.last_done is not None else True,
            since=item.since, visited=frozenset(item.visited), parts=frozenset(item.parts),
            first_pass=item.first_pass)

    # -- processing ------------------------------------------------------------------------
    async def _process_loop(self) -> None:
        try:
            while True:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), 0.2)
                self._wake.clear()
                await self._process_once()
                async with self._lock:
                    await self._release_step()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self.error = exc
            log.exception("the MES stopped processing")

    async def _process_once(self) -> None:
        async with self._lock:  # batches are applied one after the other, in order
            await self._process_locked()

    async def _process_locked(self) -> None:
        batch = [self._inbox.popleft() for _ in range(min(BATCH, len(self._inbox)))]
        commands = self.policies.on_events(batch)
        decisions = self.policies.take_decisions()
        if not batch and not decisions:
            return
        await asyncio.to_thread(self._apply, batch, decisions)
        for station, action in commands:
            self.driver.command(station, action)
        if self.policies.resequence:
            self.policies.resequence = False
            self._dirty = True

    def _apply(self, batch: Sequence[PlantEvent], decisions: Sequence[Decision]) -> list[EventRow]:
        now = utcnow()
        with self.store.tx() as s:
            rows = self.tracker.apply(s, batch, base=self.base, now=now)
            t = self.base + (batch[-1].time if batch else self.last_t)
            rows += [store_log.add_audit(s, t=t, now=now, actor=d.actor, action=d.action,
                                         subject=d.subject, reason=d.reason, data=d.data)
                     for d in decisions]
            s.flush()
        return rows

    # -- release -----------------------------------------------------------------------------
    async def _release_step(self) -> None:
        counts = await asyncio.to_thread(self._counts)
        wip = counts.get("released", 0) + counts.get("in_process", 0)
        room = self.settings.release_ahead - counts.get("released", 0)
        while self.policies.release_allowed(wip) and room > 0:
            released = await asyncio.to_thread(self._release_one)
            if released is None:
                break
            self.driver.release(*released)
            room -= 1
            wip += 1

    def _counts(self) -> dict[str, int]:
        with self.store.read() as s:
            return store_vehicles.count_states(s)

    def _release_one(self) -> tuple[str, Order] | None:
        now = utcnow()
        with self.store.tx() as s:
            for o in store_orders.queue(s, 5):
                done = store_vehicles.release_order(s, o, t=self.now, now=now)
                if done is not None:
                    return done[0].vin, _order(o)
        return None

    # -- sequencing ------------------------------------------------------------------------
    async def _sequence_loop(self) -> None:
        cfg = self.settings.sequencing
        while True:
            await asyncio.sleep(max(cfg.interval_s, 0.2))
            if not self._dirty:
                continue
            self._dirty = False
            impaired = dict(self.policies.impaired_options)
            try:
                await asyncio.to_thread(resequence_queue, self.store, self.plant, cfg,
                                        impaired, self.now, self._solver)
            except StoreError:
                log.exception("re-sequencing failed; the queue keeps its order")
                self._dirty = True

    async def _retention_loop(self, every_s: float = 60.0) -> None:
        """Delete plant events older than the retention, a chunk at a time."""
        days = self.settings.retention_days
        while days > 0:
            await asyncio.sleep(every_s)
            try:
                while await asyncio.to_thread(self.prune, self.now - days * 86400.0) > 0:
                    await asyncio.sleep(0)
            except StoreError:
                log.exception("pruning the event log failed; tried again later")

    def prune(self, before_t: float) -> int:
        """Delete one chunk of plant events older than ``before_t`` (one transaction)."""
        with self.store.tx() as s:
            return store_log.prune_events(s, before_t)

    def orders_changed(self) -> None:
        """New or cancelled orders: sequence the queue again soon (any thread)."""
        self._dirty = True

    # -- requests from the API -------------------------------------------------------------
    def accept(self, items: Sequence[OrderIn], *, key: str | None, body_hash: str,
               field: str = "orders") -> store_orders.Accepted:
        """Accept orders (validated against the catalogue), idempotently with ``key``;
        problems name ``field[i].<name>`` (``field`` empty: one order, ``<name>``)."""
        check_orders(self.plant, items, field=field)
        for attempt in (0, 1):
            try:
                with self.store.tx() as s:
                    out = store_orders.accept_orders(s, items, key=key, body_hash=body_hash,
                                                     now=utcnow(), t=self.now)
                break
            except StoreError as exc:  # a concurrent request with the same key or order id
                if not isinstance(exc.__cause__, IntegrityError) or attempt:
                    raise ConflictError("a concurrent request created the same orders; "
                                        "retry with the same Idempotency-Key") from exc
        if not out.replayed:
            self.orders_changed()
        return out

    def cancel(self, order_id: str) -> OrderRow:
        with self.store.tx() as s:
            row = store_orders.cancel_order(s, order_id, now=utcnow(), t=self.now)
        self.orders_changed()
        return row

    async def command(self, station: str, action: Command, who: str) -> None:
        """An admin's station command (merged with the policy holds, audited)."""
        if station not in self.topo.robots:
            raise NotFoundError(f"no station {station!r}")
        commands = self.policies.admin(station, action, who)
        self.policies.decisions.append(Decision("command", station, f"{who}: {action} {station}",
                                                {"action": action}, actor=who))
        held = sorted(st for st, why in self.policies.holds.items() if ADMIN in why)
        await asyncio.to_thread(self._set_meta, "admin_holds", json.dumps(held))
        await self._process_once()
        for st, act in commands:
            self.driver.command(st, act)

    def _set_meta(self, key: str, value: str) -> None:
        with self.store.tx() as s:
            store_log.set_meta(s, key, value)

    async def _keep_admin_holds(self, stations: list[str]) -> None:
        """An admin's stop outlives a restart: the stations are stopped again."""
        for st in stations:
            if st not in self.topo.robots:
                continue
            for station, action in self.policies.admin(st, "stop", "mes"):
                self.driver.command(station, action)
            self.policies.decide("command", st, f"{st} stays stopped after the restart: an "
                                 "admin stopped it and nobody started it since")

    async def set_speed(self, speed: float, who: str) -> float:
        if not isinstance(self.driver, Paced):
            raise ConflictError("the plant driver runs in real time; it has no speed")
        old = self.driver.speed
        self.driver.set_speed(speed)
        self.policies.decisions.append(Decision("speed", "twin", f"{who}: twin speed "
                                                f"{old:g} -> {speed:g}", {"speed": speed},
                                                actor=who))
        await self._process_once()
        return self.driver.speed

    def kpis(self, window_s: float) -> KpiReport:
        """Live KPIs of the last ``window_s`` plant seconds (cached briefly)."""
        ttl = self.settings.api.kpi_cache_s
        hit = self._kpi_cache.get(window_s)
        if hit is not None and time.monotonic() - hit[0] < ttl:
            return hit[1]
        with self.store.read() as s:
            report = live_kpis(s, self.plant, now=self.now, window_s=window_s)
        self._kpi_cache[window_s] = (time.monotonic(), report)
        return report

    def status(self) -> dict[str, Any]:
        error = self.error or getattr(self.driver, "error", None)
        return {"running": self.running and error is None, "plant_time_s": self.now,
                "inbox": len(self._inbox), "wip_cap": self.policies.wip_cap,
                "release_held": self.policies.release_held,
                "error": repr(error) if error is not None else None}


def _order(o: OrderRow) -> Order:
    return Order(o.order_id, o.variant, o.colour, store_orders.order_of(o))
