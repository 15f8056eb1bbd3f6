"""Lower a freshly built :class:`~taktline.sim.model.Model` into the arrays of the
compiled engine.

The compiled engine does not build a model of its own: it takes the Python model
(built, not begun), so both engines share every decision of the builder (indices,
interned names, stream names, initial stock) by construction. Lowering reads the
runtime objects and writes one entity row per object (see
:mod:`~taktline.sim.engine.layout`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from taktline.sim.agv import AgvFleet
from taktline.sim.buffer import Buffer
from taktline.sim.engine import layout as L
from taktline.sim.engine.layout import I64, Sim
from taktline.sim.model import MixMaker, Model, OrderMaker, PartMaker
from taktline.sim.random import _BATCH as SAMPLER_BATCH
from taktline.sim.random import Sampler
from taktline.sim.reserved import ReservedRouting
from taktline.sim.station import Station

__all__ = ["Lowered", "Room", "lower", "pow2", "table_regions"]

ROUTES = {"first_free": L.ROUTE_FIRST_FREE, "round_robin": L.ROUTE_ROUND_ROBIN,
          "shortest": L.ROUTE_SHORTEST, "by_part": L.ROUTE_BY_PART}
SETUP_ON = {"colour": L.SETUP_COLOUR, "variant": L.SETUP_VARIANT, "model": L.SETUP_MODEL,
            "part": L.SETUP_PART}


def pow2(n: int) -> int:
    """The smallest power of two >= n (and >= 1)."""
    return 1 << max(int(n) - 1, 0).bit_length()


@dataclass(frozen=True)
class Room:
    """How much one event may add at most, per kind of array (scaled up on a rerun)."""

    ring: int
    heap: int
    items: int
    records: int
    draws: int


@dataclass
class Lowered:
    """The arrays of a model and what the driver needs to run and read them."""

    sim: Sim
    order: I64  # rows to begin, in the model's order
    samplers: list[Sampler]  # by sampler number
    sampler_rows: I64
    rings: list[tuple[int, int]]  # (row, first column) of every runtime queue
    lists: list[tuple[int, int]]  # (row, first column) of every waiting list
    setup_on: list[int]  # per station index
    station_rows: I64
    room: Room
    pool_end: int  # the pools' regions end here (the driver adds regions after it)
    reserved: list[tuple[int, ReservedRouting]] = field(default_factory=list)
    """(fleet row, routing) of the fleets with reserved routing (the driver plans)."""


@dataclass
class _Rows:
    """Row numbers of every object, by identity."""

    of: dict[int, int] = field(default_factory=dict)
    kinds: list[int] = field(default_factory=list)
    index: list[int] = field(default_factory=list)

    def add(self, obj: object, kind: int, idx: int) -> int:
        row = len(self.kinds)
        self.of[id(obj)] = row
        self.kinds.append(kind)
        self.index.append(idx)
        return row

    def __getitem__(self, obj: object) -> int:
        return self.of[id(obj)]


class _Builder:
    """Collects the rows and the regions of the pools while lowering."""

    def __init__(self, model: Model, room: Room) -> None:
        self.model = model
        self.room = room
        self.rows = _Rows()
        self.rows.kinds.append(0)  # row 0: the kernel
        self.rows.index.append(0)
        self.ei_cells: list[tuple[int, int, int]] = []
        self.ef_cells: list[tuple[int, int, float]] = []
        self.cursor = 0  # end of the regions of pool and poolf laid out so far
        self.int_init: list[tuple[int, list[int]]] = []
        self.float_init: list[tuple[int, list[float]]] = []
        self.rings: list[tuple[int, int]] = []
        self.lists: list[tuple[int, int]] = []
        self.samplers: list[Sampler] = []
        self.sampler_draws: list[int] = []
        self.sampler_row: dict[int, int] = {}
        self.sampler_base = 0
        self.table_base = 0

    def put(self, row: int, **cols: int) -> None:
        for name, value in cols.items():
            self.ei_cells.append((row, getattr(L, name), int(value)))

    def putf(self, row: int, **cols: float) -> None:
        for name, value in cols.items():
            self.ef_cells.append((row, getattr(L, name), float(value)))

    def alloc(self, n: int) -> int:
        """A region of ``n`` slots in pool and poolf (same offset in both)."""
        off = self.cursor
        self.cursor += n
        return off

    def lay(self, values: list[int]) -> int:
        """A region of pool holding ``values``."""
        off = self.alloc(len(values))
        self.int_init.append((off, [int(v) for v in values]))
        return off

    def layf(self, values: list[float]) -> int:
        """A region of poolf holding ``values``."""
        off = self.alloc(len(values))
        self.float_init.append((off, [float(v) for v in values]))
        return off

    def ring(self, row: int, c0: int, size: int, items: list[int] | None = None,
             times: list[float] | None = None) -> None:
        """A runtime queue at columns c0..c0+3 (offset, size, head, n) of ``row``."""
        items = items or []
        size = pow2(max(size, len(items)) + self.room.ring + 1)
        off = self.alloc(size)
        self.ei_cells += [(row, c0, off), (row, c0 + 1, size), (row, c0 + 2, 0),
                          (row, c0 + 3, len(items))]
        self.int_init.append((off, items))
        self.float_init.append((off, times or []))
        self.rings.append((row, c0))

    def wlist(self, row: int, c0: int, size: int) -> None:
        """A waiting list at columns c0..c0+2 (offset, capacity, n) of ``row``."""
        size = pow2(size + self.room.ring + 1)
        off = self.alloc(size)
        self.ei_cells += [(row, c0, off), (row, c0 + 1, size), (row, c0 + 2, 0)]
        self.lists.append((row, c0))

    def add_sampler(self, s: Sampler | None, draws: int) -> None:
        """Give every distinct sampler object a row (pass 1)."""
        if s is None:
            return
        n = self.sampler_row.get(id(s))
        if n is None:
            self.sampler_row[id(s)] = len(self.samplers)
            self.samplers.append(s)
            self.sampler_draws.append(draws)
        else:
            self.sampler_draws[n] = max(self.sampler_draws[n], draws)

    def srow(self, s: Sampler | None) -> int:
        """The row of a sampler; -1 for none (pass 2)."""
        return -1 if s is None else self.sampler_base + self.sampler_row[id(s)]


# -- pass 1: a row for every object --------------------------------------------------
def _assign(b: _Builder) -> None:
    m, rows = b.model, b.rows
    stations = list(m.stations.values())
    for i, st in enumerate(stations):
        rows.add(st, L.EK_STATION, i)
    for st in stations:
        for srv in st.servers:
            rows.add(srv, L.EK_SERVER, srv.idx)
    for buf in m.buffers.values():
        rows.add(buf, L.EK_BUFFER, buf.idx)
    for st in stations:
        for k, mode in enumerate((*st.op_modes, *st.cal_modes)):
            rows.add(mode, L.EK_MODE, k)
    for k, rel in enumerate(m.releases):
        rows.add(rel, L.EK_RELEASE, k)
    for k, feed in enumerate(m.feeds):
        rows.add(feed, L.EK_FEED, k)
    for k, sink in enumerate(m.sinks):
        rows.add(sink, L.EK_SINK, k)
    for fleet in m.fleets:
        rows.add(fleet, L.EK_FLEET, fleet.idx)
    for fleet in m.fleets:
        for agv in fleet.agvs:
            rows.add(agv, L.EK_AGV, agv.idx)
        for mv in fleet.moves:
            rows.add(mv, L.EK_MOVE, mv.idx)
    for k, win in enumerate(m.windows):
        rows.add(win, L.EK_WINDOW, k)
    _collect_samplers(b, stations)
    b.sampler_base = len(rows.kinds)
    for n in range(len(b.samplers)):
        rows.kinds.append(L.EK_SAMPLER)
        rows.index.append(n)
    b.table_base = len(rows.kinds)
    for t in range(L.N_TABLES):
        rows.kinds.append(L.EK_TABLE)
        rows.index.append(t)


def _taker_servers(buf: Buffer) -> int:
    return sum(len(c.servers) for c in buf.consumers if isinstance(c, Station))


def _collect_samplers(b: _Builder, stations: list[Station]) -> None:
    """Every sampler, with the most values one event can draw from it."""
    for st in stations:
        n = len(st.servers)
        for smp in st.cycle:
            b.add_sampler(smp, n)
        b.add_sampler(st.setup_time, n)
        b.add_sampler(st.quality, 1)
        for mode in (*st.op_modes, *st.cal_modes):
            b.add_sampler(mode.ttf, 1)
            b.add_sampler(mode.ttr, 1)
    for rel in b.model.releases:
        b.add_sampler(rel.interval, 1)
        if isinstance(rel.make, MixMaker):
            buf = rel.buffer
            burst = 1 if rel.interval is not None else (buf.capacity or 0) + _taker_servers(buf)
            for smp in (rel.make.u_var, rel.make.u_col, *rel.make.u_opt):
                b.add_sampler(smp, burst + 1)
    for feed in b.model.feeds:
        b.add_sampler(feed.lead_time, 1)
    for fleet in b.model.fleets:
        # reserved routing samples both when a task is raised, and one event can raise
        # a task for every place its moves' drop buffers have
        burst = 1
        if _reserved(b.model, fleet):
            burst = sum((mv.dst.capacity or 16) + 1 for mv in fleet.moves)
        b.add_sampler(fleet.load, burst)
        b.add_sampler(fleet.unload, burst)


def _reserved(model: Model, fleet: AgvFleet) -> bool:
    return any(r.fleet is fleet for r in model.routing.values())


# -- pass 2: the rows ----------------------------------------------------------------
def _station(b: _Builder, st: Station) -> None:
    rows, m = b.rows, b.model
    row = rows[st]
    spec = m.plant.stations[st.idx]
    modes = (*st.op_modes, *st.cal_modes)
    b.put(row, S_V0=rows[st.servers[0]], S_NV=len(st.servers), S_IDLE=len(st.servers),
          S_PCAUSE=st.planned_cause, S_STATE=st.state, S_ROUTE=ROUTES[st.route],
          S_PRODUCES=st.produces, S_LOTSIZE=st.lot_size, S_LOTLEFT=st.lot_left,
          S_LOTPART=st.lot_part, S_FAMILY=st.family, S_BATCH=st.batch,
          S_MAXBATCH=st.max_batch, S_QSAMP=b.srow(st.quality),
          S_REJECT=rows[st.reject] if st.reject is not None else -1,
          S_M0=rows[modes[0]] if modes else -1, S_NOPM=len(st.op_modes),
          S_NCALM=len(st.cal_modes))
    b.put(row, S_IN0=b.lay([x for buf, q in st.inputs for x in (rows[buf], q)]),
          S_NIN=len(st.inputs), S_OUT0=b.lay([rows[o] for o in st.outputs]),
          S_NOUT=len(st.outputs),
          S_PART0=b.lay([x for part, slot in st.out_part.items() for x in (part, slot)]),
          S_NPART=len(st.out_part), S_CYC0=b.lay([b.srow(smp) for smp in st.cycle]),
          S_WF0=b.lay([0] * len(st.inputs)), S_BF0=b.lay([0] * (len(st.outputs) + 1)))
    feeds = [rows[fn.__self__] for fn in st.on_finish]  # type: ignore[attr-defined]
    b.put(row, S_FIN0=b.lay(feeds), S_NFIN=len(feeds))
    if st.setup_time is not None and spec.setup is not None:
        b.put(row, S_SETON=SETUP_ON[spec.setup.on], S_SETSAMP=b.srow(st.setup_time))
    else:
        b.put(row, S_SETON=L.SETUP_NONE, S_SETSAMP=-1)
    opt = st.option
    if opt is not None:
        cap = opt.history.maxlen or 0
        b.put(row, S_OPT=opt.option, S_OPTBIT=opt.bit, S_OPTMAX=opt.max_n,
              S_H0=b.lay([0] * cap), S_HCAP=cap)
        b.putf(row, SF_SLOW=opt.slowdown)
    else:
        b.put(row, S_OPT=-1)
    b.putf(row, SF_FPY=st.fpy)
    for srv in st.servers:
        b.put(rows[srv], V_STATION=row, V_ITEM=-1)
    for mode in modes:
        b.put(rows[mode], M_STATION=row, M_CAUSE=mode.cause, M_OPER=mode.operating,
              M_TTF=b.srow(mode.ttf), M_TTR=b.srow(mode.ttr))


def _buffer(b: _Builder, buf: Buffer, items: dict[int, int]) -> None:
    rows = b.rows
    row = rows[buf]
    cap = buf.capacity
    b.put(row, B_CAP=L.UNBOUNDED if cap is None else cap, B_COUNT=buf.count,
          B_OUT=buf.outgoing, B_CONV=buf.transit > 0.0, B_REC=buf._record is not None)
    b.putf(row, BF_TRANSIT=buf.transit)
    b.ring(row, L.B_R0, 16 if cap is None else cap,
           [items[id(it)] for it in buf.items], list(buf.avail))
    b.wlist(row, L.B_W0, len(buf.consumers))
    b.wlist(row, L.B_K0, 4)
    cons = [rows[c] for c in buf.consumers]
    b.put(row, B_C0=b.lay(cons), B_NC=len(cons))


def _release(b: _Builder, k: int) -> None:
    rel = b.model.releases[k]
    row = b.rows[rel]
    b.put(row, R_BUF=b.rows[rel.buffer], R_INTERVAL=b.srow(rel.interval), R_PENDING=-1,
          R_RECORD=rel.on_put is not None)
    make = rel.make
    if isinstance(make, OrderMaker):
        codes = [x for pos in range(len(make.orders)) for x in make.codes(pos)]
        b.put(row, R_MAKE=L.MAKE_ORDERS, R_OPOS=make.next, R_NORD=len(make.orders),
              R_ORD0=b.lay(codes))
    elif isinstance(make, MixMaker):
        b.put(row, R_MAKE=L.MAKE_MIX, R_UVAR=b.srow(make.u_var), R_UCOL=b.srow(make.u_col),
              R_UOPT0=b.lay([b.srow(u) for u in make.u_opt]), R_NOPT=len(make.u_opt),
              R_VCUM0=b.layf(make.vcum), R_NVAR=len(make.vcum), R_CCUM0=b.layf(make.ccum),
              R_NCOL=len(make.ccum), R_RATE0=b.layf(make.rates))
    elif isinstance(make, PartMaker):
        b.put(row, R_MAKE=L.MAKE_PART, R_PART=make.part)
    else:  # pragma: no cover - the model builder makes only these
        raise TypeError(f"unknown maker {make!r}")


def _feed(b: _Builder, k: int) -> None:
    feed = b.model.feeds[k]
    row = b.rows[feed]
    make = feed.make
    assert isinstance(make, PartMaker)
    b.put(row, FD_BUF=b.rows[feed.buffer], FD_PART=make.part,
          FD_LEAD=b.srow(feed.lead_time))
    b.ring(row, L.FD_D0, 16)


def _fleet(b: _Builder, fleet: AgvFleet) -> None:
    rows = b.rows
    row = rows[fleet]
    n = len(fleet.dist)
    b.put(row, FL_A0=rows[fleet.agvs[0]], FL_NA=len(fleet.agvs), FL_LOAD=b.srow(fleet.load),
          FL_UNLOAD=b.srow(fleet.unload), FL_D0=b.layf([d for r in fleet.dist for d in r]),
          FL_NN=n, FL_M0=rows[fleet.moves[0]] if fleet.moves else 0, FL_NM=len(fleet.moves),
          FL_RESERVED=int(_reserved(b.model, fleet)))
    b.putf(row, FLF_SPEED=fleet.speed)
    b.ring(row, L.FL_Q0, 16)
    for agv in fleet.agvs:
        b.put(rows[agv], A_FLEET=row, A_NODE=agv.node, A_ITEM=-1, A_MOVE=-1)
    for mv in fleet.moves:
        b.put(rows[mv], MV_FLEET=row, MV_SRC=rows[mv.src], MV_DST=rows[mv.dst],
              MV_PICK=mv.pick, MV_DROP=mv.drop)


def _samplers(b: _Builder) -> None:
    """Sampler rows: constants, or a ring of values in poolf."""
    for n, smp in enumerate(b.samplers):
        row = b.sampler_base + n
        if smp.constant is not None:
            b.put(row, P_CONST=1, P_SIZE=1, P_LOW=0)
            b.putf(row, PF_VALUE=smp.constant)
            continue
        low = b.sampler_draws[n] + b.room.draws
        size = pow2(low + 2 * SAMPLER_BATCH)
        b.put(row, P_OFF=b.alloc(size), P_SIZE=size, P_LOW=low)


def _room(model: Model, scale: int) -> Room:
    servers = sum(len(st.servers) for st in model.stations.values())
    modes = sum(len(st.op_modes) + len(st.cal_modes) for st in model.stations.values())
    agvs = sum(len(f.agvs) for f in model.fleets)
    places = sum(b.capacity or 0 for b in model.buffers.values())
    actors = servers + len(model.releases) + len(model.feeds) + agvs
    objects = len(model.stations) + len(model.buffers) + agvs + len(model.releases)
    return Room(ring=(2 * actors + 64) * scale,
                heap=(4 * (actors + modes + len(model.windows)) + places + 64) * scale,
                items=(places + servers + 256) * scale,
                records=(8 * objects + places + 256) * scale,
                draws=2 * scale)


def _initial_items(model: Model) -> tuple[dict[int, int], list[list[int]]]:
    """Rows for the items already in the buffers (initial stock)."""
    rows: dict[int, int] = {}
    fields: list[list[int]] = []
    for buf in model.buffers.values():
        for it in buf.items:
            rows[id(it)] = len(fields)
            fields.append([it.serial, it.part, it.vehicle, it.variant, it.model, it.colour,
                           it.options, int(it.good), int(it.rejected)])
    return rows, fields


def _kernel(b: _Builder, room: Room, n_items: int, scale: int) -> dict[str, Any]:
    """Row 0 (clock, counters, where the kernel's queues are), the event heap (conveyor
    arrivals of the initial stock), and the items."""
    m = b.model
    heap: list[Any] = sorted(m.kernel._heap)
    cap = pow2(2 * len(heap) + 4 * room.heap)
    ht = np.zeros(cap)
    hq = np.zeros((cap, 4), np.int64)
    for i, (time, prio, seq, fn, _) in enumerate(heap):
        buf = fn.__self__
        if not isinstance(buf, Buffer) or fn.__func__ is not Buffer._arrived:
            raise TypeError(f"cannot lower a scheduled {fn!r}")
        ht[i] = time
        hq[i] = ((prio << L.PRIO_SHIFT) | seq, L.EV_ARRIVED, b.rows[buf], 0)
    soon = pow2((4096 + 8 * len(b.rows.kinds)) * scale)
    depth = (4 * len(m.stations) + 64) * scale
    icap = pow2(2 * n_items + 4 * room.items + 1024)
    qty = max(sum(q for _, q in st.inputs) for st in m.stations.values())
    b.put(L.KERNEL, K_SEQ=m.kernel._seq, K_HEAP_N=len(heap), K_HEAP_SOFT=cap - room.heap,
          K_SOON0=b.alloc(3 * soon), K_SOON_SIZE=soon, K_SOON_SOFT=soon // 2,
          K_WST0=b.alloc(3 * depth), K_WST_SIZE=depth, K_SERIAL=m._serial,
          K_VEHICLE=m._vehicle, K_FREE0=b.lay([*range(icap - 1, n_items - 1, -1), *[0] * n_items]),
          K_FREE_N=icap - n_items, K_FREE_SOFT=room.items, K_SCRATCH0=b.alloc(qty + 1),
          K_RING_MARGIN=room.ring, K_BODY=m._body, K_VMODEL0=b.lay(m.variant_model),
          K_NVAR=len(m.variants), K_REC_SOFT=room.records, K_TABLE0=b.table_base)
    b.putf(L.KERNEL, F_NOW=m.kernel.now)
    return {"ht": ht, "hq": hq, "items": np.zeros((icap, L.IT_WIDTH), np.int64)}


def table_regions(room: Room, chunk: int, alloc: Callable[[int], int]) -> list[list[int]]:
    """(float offset, int offset, float columns, int columns, capacity, rows) of every
    staged record table, with regions from ``alloc``."""
    out = []
    for nf, ni in L.TABLE_WIDTHS:
        cap = chunk + room.records
        out.append([alloc(nf * cap), alloc(ni * cap), nf, ni, cap, 0])
    return out


def lower(model: Model, scale: int = 1, chunk: int = 1 << 12) -> Lowered:
    """The arrays of a built (not yet begun) model; ``scale`` multiplies every margin."""
    room = _room(model, scale)
    b = _Builder(model, room)
    _assign(b)
    item_rows, item_fields = _initial_items(model)
    stations = list(model.stations.values())
    for st in stations:
        _station(b, st)
    for buf in model.buffers.values():
        _buffer(b, buf, item_rows)
    for k in range(len(model.releases)):
        _release(b, k)
    for k in range(len(model.feeds)):
        _feed(b, k)
    for sink in model.sinks:
        b.put(b.rows[sink], K_NAME=sink.idx, K_BUF=b.rows[sink.buffer])
    for fleet in model.fleets:
        _fleet(b, fleet)
    for win in model.windows:
        row = b.rows[win]
        b.put(row, W_CAUSE=win.cause, W_ST0=b.lay([b.rows[st] for st in win.stations]),
              W_NS=len(win.stations), W_HASEVERY=win.every is not None)
        b.putf(row, WF_START=win.start, WF_DUR=win.duration, WF_EVERY=win.every or 0.0)
    _samplers(b)
    kernel = _kernel(b, room, len(item_fields), scale)
    if item_fields:
        kernel["items"][: len(item_fields)] = item_fields
    for t, cells in enumerate(table_regions(room, chunk, b.alloc)):
        for col, value in zip(range(L.RS_FOFF, L.RS_N + 1), cells, strict=True):
            b.ei_cells.append((b.table_base + t, col, value))
    sim = Sim(**_entities(b), **_pools(b), **kernel)
    order = [b.rows[x] for x in (*stations, *model.releases, *model.sinks, *model.fleets,
                                 *model.windows)]
    return Lowered(sim=sim, order=np.array(order, np.int64), samplers=b.samplers,
                   sampler_rows=np.arange(len(b.samplers), dtype=np.int64) + b.sampler_base,
                   rings=b.rings, lists=b.lists,
                   reserved=[(b.rows[r.fleet], r) for r in model.routing.values()],
                   setup_on=[SETUP_ON[s.setup.on] if s.setup else L.SETUP_NONE
                             for s in model.plant.stations],
                   station_rows=np.array([b.rows[st] for st in stations], np.int64), room=room,
                   pool_end=b.cursor)


def _entities(b: _Builder) -> dict[str, Any]:
    n = len(b.rows.kinds)
    ei = np.zeros((n, L.EI_WIDTH), np.int64)
    ef = np.zeros((n, L.EF_WIDTH))
    ei[:, L.KIND] = b.rows.kinds
    ei[:, L.IDX] = b.rows.index
    for row, col, value in b.ei_cells:
        ei[row, col] = value
    for row, col, fvalue in b.ef_cells:
        ef[row, col] = fvalue
    return {"ei": ei, "ef": ef}


def _pools(b: _Builder) -> dict[str, Any]:
    pool = np.zeros(b.cursor + 1, np.int64)
    poolf = np.zeros(b.cursor + 1)
    for off, ints in b.int_init:
        pool[off: off + len(ints)] = ints
    for off, floats in b.float_init:
        poolf[off: off + len(floats)] = floats
    return {"pool": pool, "poolf": poolf}
