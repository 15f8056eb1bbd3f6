"""The event records the twin emits: the only thing ``analysis/`` reads.

Records are stored column-wise (compact ``array`` columns, appended in the hot loop)
and read back either as frozen, slotted dataclasses (:meth:`RecordLog.rows`) or as
numpy arrays / pandas DataFrames for the KPI code.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "ACTIVE_STATES",
    "AgvStateChange",
    "Dispatch",
    "Downtime",
    "Operation",
    "Overload",
    "PartJoin",
    "RecordLog",
    "Release",
    "SetupChange",
    "State",
    "StateChange",
    "Table",
    "Transport",
]


class State(IntEnum):
    """What a station is doing (the aggregate of its servers)."""

    STARVED = 0
    WORKING = 1
    BLOCKED = 2
    FAILED = 3
    SETUP = 4
    PLANNED = 5


ACTIVE_STATES = frozenset({State.WORKING, State.FAILED, State.SETUP})
"""States in which others may have to wait for the station (active period method)."""


@dataclass(frozen=True, slots=True)
class StateChange:
    """A station's aggregate state changed, or (at a station with several servers) the
    number of its servers working, in setup or blocked did."""

    time: float
    station: str
    state: State
    working: int
    setup: int
    blocked: int


@dataclass(frozen=True, slots=True)
class Operation:
    """A station finished work on an item (``vehicle`` is -1 for a part)."""

    start: float
    end: float
    station: str
    vehicle: int
    variant: str | None
    good: bool


@dataclass(frozen=True, slots=True)
class Release:
    time: float
    vehicle: int
    order: str
    variant: str
    colour: str
    options: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Dispatch:
    time: float
    vehicle: int
    sink: str
    good: bool


@dataclass(frozen=True, slots=True)
class Downtime:
    """A failure or planned stop; ``end`` is NaN while it lasts at the end of the run."""

    start: float
    end: float
    station: str
    cause: str
    planned: bool


@dataclass(frozen=True, slots=True)
class SetupChange:
    time: float
    station: str
    duration: float
    from_family: str
    to_family: str


@dataclass(frozen=True, slots=True)
class Overload:
    time: float
    station: str
    vehicle: int
    option: str


@dataclass(frozen=True, slots=True)
class AgvStateChange:
    time: float
    fleet: str
    agv: int
    state: str


@dataclass(frozen=True, slots=True)
class Transport:
    dispatched: float
    picked: float
    dropped: float
    fleet: str
    agv: int
    move: int
    vehicle: int


@dataclass(frozen=True, slots=True)
class PartJoin:
    """A part (battery pack, side frame ...) joined a vehicle at an assembly station."""

    time: float
    station: str
    vehicle: int
    part: str
    serial: int


class Table:
    """Columns of one record kind; ``append`` takes one value per column, in order."""

    __slots__ = ("_arrays", "names")

    def __init__(self, **columns: str) -> None:
        self.names = tuple(columns)
        self._arrays = tuple(array(code) for code in columns.values())

    def appender(self) -> Any:
        """A fast ``append(*values)`` bound to this table's columns."""
        appends = tuple(a.append for a in self._arrays)
        if len(appends) == 2:
            a0, a1 = appends
            return lambda x0, x1: (a0(x0), a1(x1))
        if len(appends) == 3:
            b0, b1, b2 = appends
            return lambda x0, x1, x2: (b0(x0), b1(x1), b2(x2))
        if len(appends) == 5:
            c0, c1, c2, c3, c4 = appends
            return lambda x0, x1, x2, x3, x4: (c0(x0), c1(x1), c2(x2), c3(x3), c4(x4))

        def append(*values: Any) -> None:
            for fn, v in zip(appends, values, strict=True):
                fn(v)

        return append

    def typecodes(self) -> tuple[str, ...]:
        """The storage type of each column (``array`` type codes, also numpy's)."""
        return tuple(a.typecode for a in self._arrays)

    def extend(self, *columns: np.ndarray) -> None:
        """Append many rows at once: one array per column, in column order."""
        for arr, col in zip(self._arrays, columns, strict=True):
            arr.frombytes(np.ascontiguousarray(col, dtype=arr.typecode).tobytes())

    def __len__(self) -> int:
        return len(self._arrays[0])

    def column(self, name: str) -> np.ndarray:
        """A numpy view of one column (no copy)."""
        arr = self._arrays[self.names.index(name)]
        return np.frombuffer(arr, dtype=arr.typecode) if len(arr) else np.array([], arr.typecode)

    def columns(self) -> dict[str, np.ndarray]:
        return {n: self.column(n) for n in self.names}


def _table_specs() -> dict[str, dict[str, str]]:
    return {
        "release": {"time": "d", "vehicle": "q", "variant": "h", "colour": "h", "options": "q"},
        "dispatch": {"time": "d", "vehicle": "q", "sink": "h", "good": "b"},
        "downtime": {"start": "d", "end": "d", "station": "h", "cause": "h", "planned": "b"},
        "setup": {"time": "d", "station": "h", "duration": "d", "from": "i", "to": "i"},
        "overload": {"time": "d", "station": "h", "vehicle": "q", "option": "h"},
        "agv": {"time": "d", "fleet": "h", "agv": "h", "state": "b"},
        "transport": {
            "dispatched": "d", "picked": "d", "dropped": "d", "fleet": "h", "agv": "h",
            "move": "h", "vehicle": "q",
        },
        "join": {"time": "d", "station": "h", "vehicle": "q", "part": "i", "serial": "q"},
        "buffer": {"time": "d", "buffer": "h", "level": "i"},
        # reserved AGV routing: every node visit (network node index), the stops served
        # there (bits: 1 pickup, 2 drop, 4 the chain's end) and the edge taken from it
        # (-1 at a chain's end; way +1 along the edge, -1 against it)
        "visit": {"arrive": "d", "depart": "d", "fleet": "h", "agv": "h", "node": "h",
                  "stops": "b", "edge": "h", "way": "b"},
    }


AGV_STATES = ("idle", "to_pickup", "loading", "carrying", "unloading")


class RecordLog:
    """All records of one run, with the names that decode their integer codes."""

    def __init__(
        self,
        stations: list[str],
        buffers: list[str],
        variants: list[str],
        colours: list[str],
        options: list[str],
        fleets: list[str],
    ) -> None:
        self.stations = stations
        self.buffers = buffers
        self.variants = variants
        self.colours = colours
        self.options = options
        self.fleets = fleets
        self.names: list[str] = []
        self._name_idx: dict[str, int] = {}
        self.orders: list[str] = []
        self.states = [
            Table(time="d", state="b", working="h", setup="h", blocked="h") for _ in stations
        ]
        self.ops = [
            Table(start="d", end="d", vehicle="q", variant="h", good="b") for _ in stations
        ]
        self.tables = {k: Table(**v) for k, v in _table_specs().items()}

    def intern(self, name: str) -> int:
        """A stable small integer for a name (families, causes, parts)."""
        idx = self._name_idx.get(name)
        if idx is None:
            idx = self._name_idx[name] = len(self.names)
            self.names.append(name)
        return idx

    def table(self, kind: str) -> Table:
        return self.tables[kind]

    def state_arrays(self, station: int) -> tuple[np.ndarray, np.ndarray]:
        """(times, state codes) of one station's state changes."""
        t = self.states[station]
        return t.column("time"), t.column("state")

    def state_counts(self, station: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(working, setup, blocked) servers at each of one station's state changes."""
        t = self.states[station]
        return t.column("working"), t.column("setup"), t.column("blocked")

    def option_names(self, mask: int) -> tuple[str, ...]:
        return tuple(o for i, o in enumerate(self.options) if mask >> i & 1)

    def rows(self, kind: str) -> Iterator[Any]:
        """Records of one kind as frozen dataclasses, in the order they were emitted."""
        if kind == "state":
            for s, sid in enumerate(self.stations):
                state_cols = [c.tolist() for c in self.states[s].columns().values()]
                for t, c, w, u, b in zip(*state_cols, strict=True):
                    yield StateChange(t, sid, State(c), w, u, b)
            return
        if kind == "operation":
            for s, sid in enumerate(self.stations):
                cols = self.ops[s].columns()
                for st, en, v, var, g in zip(*(c.tolist() for c in cols.values()), strict=True):
                    name = self.variants[var] if var >= 0 else None
                    yield Operation(st, en, sid, v, name, bool(g))
            return
        yield from self._table_rows(kind)

    def _table_rows(self, kind: str) -> Iterator[Any]:
        cols = [c.tolist() for c in self.tables[kind].columns().values()]
        n = self.names
        for row in zip(*cols, strict=True):
            if kind == "release":
                t, v, var, col, opt = row
                yield Release(t, v, self.orders[v], self.variants[var], self.colours[col],
                              self.option_names(opt))
            elif kind == "dispatch":
                yield Dispatch(row[0], row[1], n[row[2]], bool(row[3]))
            elif kind == "downtime":
                yield Downtime(row[0], row[1], self.stations[row[2]], n[row[3]], bool(row[4]))
            elif kind == "setup":
                yield SetupChange(row[0], self.stations[row[1]], row[2], n[row[3]], n[row[4]])
            elif kind == "overload":
                yield Overload(row[0], self.stations[row[1]], row[2], self.options[row[3]])
            elif kind == "agv":
                yield AgvStateChange(row[0], self.fleets[row[1]], row[2], AGV_STATES[row[3]])
            elif kind == "transport":
                yield Transport(row[0], row[1], row[2], self.fleets[row[3]], row[4], row[5], row[6])
            elif kind == "join":
                yield PartJoin(row[0], self.stations[row[1]], row[2], n[row[3]], row[4])
            else:
                yield row

    def frame(self, kind: str) -> pd.DataFrame:
        """Records of one kind as a DataFrame (one row per record)."""
        rows = list(self.rows(kind))
        if rows and hasattr(rows[0], "__dataclass_fields__"):
            fields = list(type(rows[0]).__dataclass_fields__)
            return pd.DataFrame([[getattr(r, f) for f in fields] for r in rows], columns=fields)
        names = list(self.tables[kind].names) if kind in self.tables else None
        return pd.DataFrame(rows, columns=names)
