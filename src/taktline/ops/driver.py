"""The seam between the MES and the plant: one protocol, several plants behind it.

The MES (``ops/service.py``) and the OPC UA server talk to the plant only through a
:class:`PlantDriver`: they release vehicles into it, receive what happens in it as
:class:`PlantEvent` objects, read a :class:`PlantSnapshot` of its state, and send
commands (stop, start, reset a station). Implementations:

* the twin, paced to wall clock x speed (virtual commissioning; ``ops/twin_driver.py``);
* :class:`FakeDriver`, an in-memory double for tests that does exactly what it is told;
* later, an OPC UA client driver to the PLCs of a real plant.

Times in events and snapshots are plant seconds since the driver started (for the
twin: simulated seconds); the MES stamps wall-clock time itself.

Two hooks let the MES act on the plant beyond releases and commands:

* :meth:`PlantDriver.set_fault_handler` - the driver asks the MES, at the instant a
  failure begins, whether the station should run degraded (a redundant robot takes the
  work of the failed one) instead of standing still until the repair;
* :meth:`PlantDriver.resume` - after a restart of the MES, the vehicles it knows to be
  in the plant (and where); a real plant keeps its vehicles and only checks them, the
  twin (which restarted empty) puts them back where they were.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

from taktline.plant.orders import Order
from taktline.plant.schema import Plant

__all__ = [
    "EVENT_KINDS",
    "STATION_STATES",
    "BufferLevel",
    "Command",
    "EventKind",
    "FakeDriver",
    "Fault",
    "FaultHandler",
    "FaultResponse",
    "Paced",
    "PlantDriver",
    "PlantEvent",
    "PlantSnapshot",
    "StationStatus",
    "VehicleResume",
]

EventKind = Literal[
    "released",  # a vehicle entered the plant (vin)
    "started",  # a station began work on a vehicle (station, vin)
    "finished",  # a station finished a vehicle (station, vin; data: good, robots)
    "state",  # a station changed state (station; data: state, previous)
    "down",  # a failure began (station; data: cause)
    "up",  # a failure was repaired (station; data: cause, duration_s)
    "part",  # a part joined a vehicle (station, vin; data: part, serial)
    "setup",  # a changeover ran (station; data: from, to, duration_s)
    "overload",  # an option station ran over its ratio (station, vin; data: option)
    "dispatched",  # a vehicle left the plant (vin; data: good)
    "degraded",  # a station runs degraded after a failure (station; data: cause, robot, factor)
    "recovered",  # a degraded station runs at full rate again (station; data: robot, duration_s)
    "transport",  # an AGV carried a vehicle (vin; data: fleet, agv, from, to)
    "agv",  # an AGV reached a node or changed state (vin carried; data: docs/fleet.md)
]
EVENT_KINDS: tuple[str, ...] = EventKind.__args__  # type: ignore[attr-defined]

StationState = Literal["working", "blocked", "starved", "failed", "setup", "planned", "stopped"]
STATION_STATES: tuple[str, ...] = StationState.__args__  # type: ignore[attr-defined]

Command = Literal["stop", "start", "reset"]


@dataclass(frozen=True, slots=True)
class PlantEvent:
    """Something that happened in the plant, numbered in the order it happened."""

    seq: int
    time: float
    kind: EventKind
    station: str | None = None
    vin: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class StationStatus:
    """What one station is doing now."""

    station: str
    state: StationState
    since: float
    vins: tuple[str, ...] = ()  # vehicles on its servers
    finished: int = 0  # operations finished since the driver started
    stopped: bool = False  # held by a stop command
    degraded: bool = False  # running degraded (a redundant robot does a failed one's work)


@dataclass(frozen=True, slots=True)
class BufferLevel:
    buffer: str
    level: int
    capacity: int | None


@dataclass(frozen=True, slots=True)
class PlantSnapshot:
    """The plant's state at one instant."""

    time: float
    stations: tuple[StationStatus, ...]
    buffers: tuple[BufferLevel, ...]
    agv_positions: tuple[tuple[str, int, str], ...] = ()  # (fleet, agv, node)
    speed: float = 1.0
    queued: int = 0  # vehicles released to the driver that have not entered yet


@dataclass(frozen=True, slots=True)
class Fault:
    """A failure that has just begun, as the driver reports it to the fault handler."""

    station: str
    cause: str
    time: float
    expected_repair_s: float  # the plant's mean time to repair of this failure mode


@dataclass(frozen=True, slots=True)
class FaultResponse:
    """The MES's answer to a :class:`Fault`: run degraded at ``factor`` times the cycle
    after a switch-over of ``switchover_s``, with ``robot`` out of service until the
    repair ends."""

    robot: str
    factor: float
    switchover_s: float


FaultHandler = Callable[[Fault], FaultResponse | None]
"""Called by the driver, synchronously, when a failure begins."""


@dataclass(frozen=True, slots=True)
class VehicleResume:
    """A vehicle the MES knows to be in the plant, handed back after a restart.

    ``entered`` False: released but not yet in the line (it is released again).
    Otherwise ``at`` names the station that was working on it, or ``after`` the last
    station that finished it (``None`` for both: waiting at the line entry); ``good`` is
    whether it passed that station's own check (a failed check sends it to rework), and
    ``first_pass`` whether it passed every check so far. ``visited`` and ``parts`` say
    which stations it passed and which parts it already carries, so a twin can call off
    what it will still need."""

    vin: str
    order: Order
    entered: bool = True
    at: str | None = None
    after: str | None = None
    good: bool = True
    since: float = 0.0
    visited: frozenset[str] = frozenset()
    parts: frozenset[str] = frozenset()
    first_pass: bool = True


@runtime_checkable
class Paced(Protocol):
    """A plant that runs at a chosen multiple of wall-clock time (the twin)."""

    @property
    def speed(self) -> float: ...

    def set_speed(self, speed: float) -> None:
        """Run at ``speed`` plant seconds per wall second from now on."""


@runtime_checkable
class PlantDriver(Protocol):
    """What the MES needs from a plant."""

    @property
    def plant(self) -> Plant: ...

    async def start(self) -> None:
        """Connect / start running; events begin to flow."""

    async def stop(self) -> None:
        """Stop running and release resources."""

    def subscribe(self, callback: Callable[[PlantEvent], None]) -> None:
        """Call ``callback`` for every event, in order (from the driver's task)."""

    def release(self, vin: str, order: Order) -> None:
        """Hand one vehicle to the plant; it enters as soon as there is room."""

    def command(self, station: str, action: Command) -> None:
        """Stop (hold), start (release the hold) or reset (clear a fault) a station."""

    def snapshot(self) -> PlantSnapshot:
        """The plant's current state."""

    def set_fault_handler(self, handler: FaultHandler | None) -> None:
        """Ask ``handler`` at every failure onset whether to run degraded."""

    def resume(self, vehicles: Sequence[VehicleResume]) -> None:
        """Before :meth:`start`: the vehicles the MES knows to be in the plant."""


class FakeDriver:
    """An in-memory plant for tests: it records what the MES asks and emits exactly the
    events the test pushes with :meth:`emit`."""

    def __init__(self, plant: Plant) -> None:
        self._plant = plant
        self.released: list[tuple[str, Order]] = []
        self.commands: list[tuple[str, Command]] = []
        self.running = False
        self.time = 0.0
        self._subscribers: list[Callable[[PlantEvent], None]] = []
        self._seq = 0
        self._states = {s.id: StationStatus(s.id, "starved", 0.0) for s in plant.stations}
        self.fault_handler: FaultHandler | None = None
        self.resumed: list[VehicleResume] = []
        self._speed = 1.0

    @property
    def plant(self) -> Plant:
        return self._plant

    async def start(self) -> None:
        self.running = True

    async def stop(self) -> None:
        self.running = False

    def subscribe(self, callback: Callable[[PlantEvent], None]) -> None:
        self._subscribers.append(callback)

    def release(self, vin: str, order: Order) -> None:
        self.released.append((vin, order))

    def command(self, station: str, action: Command) -> None:
        if station not in self._states:
            raise KeyError(station)
        self.commands.append((station, action))
        old = self._states[station]
        stopped = action == "stop" or (old.stopped and action not in ("start", "reset"))
        self._states[station] = StationStatus(station, "stopped" if stopped else "starved",
                                              self.time, old.vins, old.finished, stopped)

    def emit(self, kind: EventKind, station: str | None = None, vin: str | None = None,
             time: float | None = None, **data: Any) -> PlantEvent:
        """Push an event to every subscriber (as if the plant did it)."""
        self._seq += 1
        if time is not None:
            self.time = time
        event = PlantEvent(self._seq, self.time, kind, station, vin, dict(data))
        if kind == "state" and station is not None:
            old = self._states[station]
            self._states[station] = StationStatus(station, data["state"], self.time, old.vins,
                                                  old.finished, old.stopped)
        for cb in self._subscribers:
            cb(event)
        return event

    def snapshot(self) -> PlantSnapshot:
        buffers = tuple(BufferLevel(b.id, 0, b.capacity) for b in self._plant.buffers)
        return PlantSnapshot(self.time, tuple(self._states.values()), buffers,
                             speed=self._speed)

    def set_fault_handler(self, handler: FaultHandler | None) -> None:
        self.fault_handler = handler

    def resume(self, vehicles: Sequence[VehicleResume]) -> None:
        self.resumed.extend(vehicles)

    @property
    def speed(self) -> float:
        return self._speed

    def set_speed(self, speed: float) -> None:
        self._speed = speed
