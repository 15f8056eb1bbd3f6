"""Move staged record rows of the compiled engine into the :class:`RecordLog`.

Rows keep their order within each table, so the log's columns come out exactly as the
Python engine appends them. State changes and operations are staged for all stations
together and split per station here (a stable split). Setup records are staged with the
family codes the station compares; their names are interned here, row by row in order,
as the Python engine's recorder does when it writes them.
"""

from __future__ import annotations

import numpy as np

from taktline.sim.engine import layout as L
from taktline.sim.engine.layout import I64, Sim
from taktline.sim.engine.lower import Lowered
from taktline.sim.model import Model, OrderMaker
from taktline.sim.records import RecordLog, Table

__all__ = ["Stash", "flush", "full", "table_rows"]

SIMPLE = {  # staged table -> log table, and the column order as (float?, index) pairs
    L.T_RELEASE: ("release", ((0, 0), (1, 0), (1, 1), (1, 2), (1, 3))),
    L.T_DISPATCH: ("dispatch", ((0, 0), (1, 0), (1, 1), (1, 2))),
    L.T_DOWNTIME: ("downtime", ((0, 0), (0, 1), (1, 0), (1, 1), (1, 2))),
    L.T_OVERLOAD: ("overload", ((0, 0), (1, 0), (1, 1), (1, 2))),
    L.T_AGV: ("agv", ((0, 0), (1, 0), (1, 1), (1, 2))),
    L.T_TRANSPORT: ("transport", ((0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2), (1, 3))),
    L.T_JOIN: ("join", ((0, 0), (1, 0), (1, 1), (1, 2), (1, 3))),
    L.T_BUFFER: ("buffer", ((0, 0), (1, 0), (1, 1))),
}


class Stash:
    """Typed chunks of records, kept apart per log table (and per station) until the
    end of the run, when each column is appended to the log in one piece."""

    def __init__(self) -> None:
        self.states: list[tuple[np.ndarray, ...]] = []  # (station, time, state)
        self.ops: list[tuple[np.ndarray, ...]] = []  # (station, start, end, ...)
        self.tables: dict[str, list[tuple[np.ndarray, ...]]] = {}

    def add(self, kind: str, cols: tuple[np.ndarray, ...]) -> None:
        self.tables.setdefault(kind, []).append(cols)

    def commit(self, log: RecordLog) -> None:
        """Append everything to the log's tables, in the order it was staged."""
        for tables, chunks in ((log.states, self.states), (log.ops, self.ops)):
            if chunks:
                station, *cols = _joined(chunks)
                _per_station(tables, station, tuple(cols))
        for kind, parts in self.tables.items():
            log.table(kind).extend(*_joined(parts))


def _joined(parts: list[tuple[np.ndarray, ...]]) -> tuple[np.ndarray, ...]:
    if len(parts) == 1:
        return parts[0]
    return tuple(np.concatenate(cols) for cols in zip(*parts, strict=True))


def _per_station(tables: list[Table], station: np.ndarray, cols: tuple[np.ndarray, ...]) -> None:
    """Rows of all stations, in order, to each station's own table (a stable split)."""
    order = np.argsort(station, kind="stable")  # int16: a radix sort
    bounds = np.searchsorted(station[order], np.arange(len(tables) + 1))
    for s in np.flatnonzero(np.diff(bounds)).tolist():
        sel = order[bounds[s]: bounds[s + 1]]
        tables[s].extend(*(c[sel] for c in cols))


def flush(sim: Sim, low: Lowered, model: Model, stash: Stash, everything: bool) -> bool:
    """Move staged rows to the stash: all of them, or (``everything=False``) only when
    a table is near full (then every table is emptied); True if it moved any."""
    rsm = table_rows(sim)
    if not everything and not full(sim).any():
        return False
    for t in range(L.N_TABLES):
        n = int(rsm[t, L.RS_N])
        if n == 0:
            continue
        fo, io, nf, ni = (int(x) for x in rsm[t, L.RS_FOFF: L.RS_NI + 1])
        fl = sim.poolf[fo: fo + n * nf].reshape(n, nf)
        it = sim.pool[io: io + n * ni].reshape(n, ni)
        _move(t, fl, it, low, model, stash)
        rsm[t, L.RS_N] = 0
    return True


def table_rows(sim: Sim) -> I64:
    """The rows of the staged tables (a view: writing to it writes to the state)."""
    t0 = int(sim.ei[L.KERNEL, L.K_TABLE0])
    return sim.ei[t0: t0 + L.N_TABLES]


def full(sim: Sim) -> np.ndarray:
    """Which staged tables passed their soft limit."""
    rsm = table_rows(sim)
    return np.asarray(rsm[:, L.RS_N] > rsm[:, L.RS_CAP] - sim.ei[L.KERNEL, L.K_REC_SOFT])


def _move(t: int, fl: np.ndarray, it: I64, low: Lowered, model: Model, stash: Stash) -> None:
    log = model.log
    if t == L.T_STATE:
        stash.states.append((it[:, 0].astype(np.int16), *_typed(
            log.states[0], (fl[:, 0], it[:, 1], it[:, 2], it[:, 3], it[:, 4]))))
    elif t == L.T_OP:
        stash.ops.append((it[:, 0].astype(np.int16), *_typed(
            log.ops[0], (fl[:, 0], fl[:, 1], it[:, 1], it[:, 2], it[:, 3]))))
    elif t == L.T_SETUP:
        old, new = _setup_names(it[:, 0], it[:, 1], it[:, 2], low, model)
        stash.add("setup", _typed(log.table("setup"), (fl[:, 0], it[:, 0], fl[:, 1], old, new)))
    elif t == L.T_VEHICLE:
        _orders(it[:, 0], model)
    else:
        kind, cols = SIMPLE[t]
        table = log.table(kind)
        stash.add(kind, _typed(table, tuple((it if is_int else fl)[:, c] for is_int, c in cols)))


def _typed(table: Table, cols: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
    """Copies of the columns in the table's own types (the staged rows get overwritten)."""
    return tuple(np.array(c, dtype=code, copy=True)
                 for c, code in zip(cols, table.typecodes(), strict=True))


def _setup_names(station: I64, old: I64, new: I64, low: Lowered,
                 model: Model) -> tuple[I64, I64]:
    """The recorder's ``name(code)``: '-' for none, the family's name, or (setups on
    part) the part's interned code; names are interned in the order they are written."""
    on = np.asarray(low.setup_on, np.int64)[station]
    codes = np.column_stack([old, new]).ravel()
    kinds = np.repeat(on, 2)
    keys = np.where(codes < 0, -1, kinds * (1 << 32) + codes)
    keys[(kinds == L.SETUP_PART) & (codes >= 0)] = -2  # a part's code is its name's code
    out = codes.copy()
    names = {L.SETUP_COLOUR: model.colours, L.SETUP_VARIANT: model.variants,
             L.SETUP_MODEL: model.models}
    uniq, first = np.unique(keys, return_index=True)
    for key in uniq[np.argsort(first)].tolist():
        if key == -2:
            continue
        name = "-" if key == -1 else names[key >> 32][key & 0xFFFFFFFF]
        out[keys == key] = model.log.intern(name)
    pairs = out.reshape(-1, 2)
    return pairs[:, 0], pairs[:, 1]


def _orders(positions: I64, model: Model) -> None:
    """The order id of each vehicle made: from the sequence, or numbered (V0000001)."""
    orders = model.log.orders
    seq = next((r.make.orders for r in model.releases if isinstance(r.make, OrderMaker)), [])
    for pos in positions.tolist():
        orders.append(seq[pos].order_id if pos >= 0 else f"V{len(orders) + 1:07d}")
