"""Live values: the plant's stations mirrored into the address space, and the PackML
command methods that act on the plant.

The driver calls :meth:`Mirror.on_event` for every plant event (cheap: it books working
time and wakes the pump). The pump task reads :meth:`PlantDriver.snapshot` at most every
``update_interval`` seconds after a wake-up, and at least every ``refresh_interval``
seconds, and writes only the values that changed, so subscribed clients get one
notification per real change. States shorter than the update interval may be skipped on
the wire; counters and durations are exact (they come from the events).

How a driver state shows is :data:`STATE_MAP` (the table in ``docs/operate.md`` is checked
against it by a test).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from asyncua import ua
from asyncua.server.server import Server
from asyncua.ua.status_codes import StatusCodes

from taktline.errors import TaktlineError
from taktline.ops.driver import Command, PlantDriver, PlantEvent, PlantSnapshot, StationStatus
from taktline.ops.opcua_space import (
    BASE_SM,
    COUNTERS,
    EXECUTE_SM,
    ITEM_STATE,
    MACHINE_SM,
    METHODS,
    OPERATION_MODE,
    STATUS,
    PlantSpace,
    design_rate,
)
from taktline.ops.opcua_template import status, write_value

__all__ = ["PRODUCE", "STATE_MAP", "Mirror", "StateView"]

log = logging.getLogger(__name__)

PRODUCE, MAINTENANCE = 1, 2  # PackML ProductionMaintenanceModeEnum


@dataclass(frozen=True, slots=True)
class StateView:
    """How one driver state appears in the companion models."""

    item_state: str  # Machinery MachineryItemState
    operation_mode: str  # Machinery MachineryOperationMode
    packml: tuple[str, str | None, str | None]  # Base / Machine / Execute state machines
    unit_mode: int = PRODUCE  # PackML Status.UnitModeCurrent
    blocked: bool = False  # PackML Status.EquipmentBlocked
    starved: bool = False  # PackML Status.EquipmentStarved
    producing: bool = False  # PackML Status.CurMachSpeed = design rate, else 0


STATE_MAP: dict[str, StateView] = {
    "working": StateView("Executing", "Processing", ("Cleared", "Running", "Execute"),
                         producing=True),
    "blocked": StateView("NotExecuting", "Processing", ("Cleared", "Running", "Suspended"),
                         blocked=True),
    "starved": StateView("NotExecuting", "Processing", ("Cleared", "Running", "Suspended"),
                         starved=True),
    "failed": StateView("OutOfService", "Processing", ("Cleared", "Running", "Held")),
    "setup": StateView("Executing", "Setup", ("Cleared", "Running", "Held")),
    "planned": StateView("OutOfService", "Maintenance", ("Cleared", "Stopped", None),
                         unit_mode=MAINTENANCE),
    "stopped": StateView("NotExecuting", "Processing", ("Cleared", "Stopped", None)),
}
"""Driver station state -> Machinery and PackML states (ISO 22400 reading of OPC 40001-1
Annex C: Executing+Processing is production time, Executing+Setup setup time,
OutOfService+Processing delay, OutOfService+Maintenance planned maintenance)."""

COMMANDS: dict[str, Command] = {"Stop": "stop", "Start": "start", "Reset": "reset"}
"""PackML method name -> driver command."""
_UNSUPPORTED = ("SetUnitMode", "SetMachSpeed", "SetProduct", "SetParameter")

Method = Callable[..., Awaitable[Any]]


@dataclass(slots=True)
class _Clock:
    """A station's state as last booked, and its working time before that."""

    state: str
    since: float
    worked: float = 0.0

    def book(self, state: str, time: float) -> None:
        if state == self.state:
            return
        if self.state == "working":
            self.worked += max(0.0, time - self.since)
        self.state, self.since = state, time

    def working_s(self, now: float) -> float:
        return self.worked + (max(0.0, now - self.since) if self.state == "working" else 0.0)


class Mirror:
    """Keeps the address space equal to the plant and links the command methods."""

    def __init__(self, server: Server, space: PlantSpace, driver: PlantDriver,
                 update_interval: float, refresh_interval: float) -> None:
        self._server = server
        self._space = space
        self._driver = driver
        self._update = update_interval
        self._refresh = refresh_interval
        self._rates = {s.id: design_rate(s) for s in driver.plant.stations}
        self._clocks: dict[str, _Clock] = {}
        self._written: dict[ua.NodeId, Any] = {}
        self._wake = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        self._thread = threading.get_ident()
        self._closed = False
        self.updates = 0  # pump passes that wrote something (for tests and logs)
        self.writes = 0  # values written

    # -- from the driver -------------------------------------------------------------------
    def on_event(self, event: PlantEvent) -> None:
        """Driver callback: book state changes, wake the pump."""
        if self._closed:
            return
        if event.kind == "state" and event.station in self._clocks:
            self._clocks[event.station].book(str(event.data.get("state")), event.time)
        self.wake()

    def wake(self) -> None:
        if threading.get_ident() == self._thread:
            self._wake.set()
        else:
            self._loop.call_soon_threadsafe(self._wake.set)

    def close(self) -> None:
        """Ignore events from now on (the driver protocol has no unsubscribe)."""
        self._closed = True

    # -- setup -------------------------------------------------------------------------------
    async def prime(self) -> None:
        """Write the constant values and the current state; link the methods."""
        snap = self._driver.snapshot()
        for st in snap.stations:
            self._clocks[st.station] = _Clock(st.state, st.since)
        for sid in self._space.stations:
            rate = self._rates[sid]
            await self._set(self._space.node(sid, *STATUS, "MachSpeed"),
                            ua.Variant(rate, ua.VariantType.Float))
            for name in ("MachSpeed", "CurMachSpeed"):
                await self._set(self._space.node(sid, *STATUS, name, "EURange"),
                                ua.Variant(ua.Range(0.0, rate)))
            self._link(sid)
        await self.update(snap)

    def _link(self, sid: str) -> None:
        for name, path in METHODS.items():
            self._server.link_method(self._server.get_node(self._space.node(sid, *path)),
                                     self._command(sid, COMMANDS[name]))
        for name in _UNSUPPORTED:
            self._server.link_method(self._server.get_node(self._space.node(sid, "PackML", name)),
                                     _not_supported)

    def _command(self, station: str, action: Command) -> Method:
        async def call(parent: ua.NodeId, *args: Any) -> ua.StatusCode | list[ua.Variant]:
            try:
                self._driver.command(station, action)
            except KeyError:
                return status(StatusCodes.BadNodeIdUnknown)
            except (ValueError, TaktlineError) as exc:
                log.warning("OPC UA %s on %s refused by the plant: %s", action, station, exc)
                return status(StatusCodes.BadInvalidState)
            log.info("OPC UA client: %s station %s", action, station)
            self.wake()
            return []

        return call

    # -- the pump ----------------------------------------------------------------------------
    async def run(self) -> None:
        """Mirror until cancelled."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._refresh)
            self._wake.clear()
            try:
                await self.update(self._driver.snapshot())
            except Exception:
                log.exception("OPC UA mirror: update failed; retrying in %.1f s", self._refresh)
            await asyncio.sleep(self._update)

    async def update(self, snap: PlantSnapshot) -> None:
        """Write every station's values that differ from what was last written."""
        writes = self.writes
        for st in snap.stations:
            if st.station in self._clocks:
                await self._station(st, snap.time)
        if self.writes != writes:
            self.updates += 1

    async def _station(self, st: StationStatus, now: float) -> None:
        clock = self._clocks[st.station]
        clock.book(st.state, st.since)  # a change the driver did not report as an event
        view = STATE_MAP[st.state]
        node = self._space.node
        sid = st.station
        await self._state(sid, ITEM_STATE, view.item_state)
        await self._state(sid, OPERATION_MODE, view.operation_mode)
        for path, state in zip((BASE_SM, MACHINE_SM, EXECUTE_SM), view.packml, strict=True):
            await self._state(sid, path, state)
        rate = self._rates[sid] if view.producing else 0.0
        values: list[tuple[tuple[str, ...], ua.Variant]] = [
            ((*STATUS, "CurMachSpeed"), ua.Variant(rate, ua.VariantType.Float)),
            ((*STATUS, "EquipmentBlocked"), ua.Variant(view.blocked)),
            ((*STATUS, "EquipmentStarved"), ua.Variant(view.starved)),
            ((*STATUS, "UnitModeCurrent"), ua.Variant(view.unit_mode, ua.VariantType.Int32)),
            ((*COUNTERS, "OperationCycleCounter"), ua.Variant(st.finished, ua.VariantType.UInt64)),
            ((*COUNTERS, "OperationDuration"),
             ua.Variant(clock.working_s(now) * 1000.0, ua.VariantType.Double)),
            ((*COUNTERS, "PowerOnDuration"), ua.Variant(now * 1000.0, ua.VariantType.Double)),
        ]
        for path, variant in values:
            await self._set(node(sid, *path), variant)

    async def _state(self, sid: str, machine: tuple[str, ...], state: str | None) -> None:
        current = self._space.node(sid, *machine, "CurrentState")
        ident = self._space.node(sid, *machine, "CurrentState", "Id")
        if state is None:  # a sub-state machine that is not active
            await self._set(current, None, StatusCodes.BadStateNotActive)
            await self._set(ident, None, StatusCodes.BadStateNotActive)
            return
        await self._set(current, ua.Variant(ua.LocalizedText(state)))
        await self._set(ident, ua.Variant(self._space.states[state], ua.VariantType.NodeId))

    async def _set(self, nodeid: ua.NodeId, variant: ua.Variant | None,
                   bad: int | None = None) -> None:
        key = (variant.Value if variant is not None else None, bad)
        if self._written.get(nodeid, ...) == key:
            return
        await write_value(self._server, nodeid, variant, bad)
        self._written[nodeid] = key
        self.writes += 1


async def _not_supported(parent: ua.NodeId, *args: Any) -> ua.StatusCode:
    """PackML methods the twin does not implement (unit mode, speed, product, parameters)."""
    return status(StatusCodes.BadNotSupported)
