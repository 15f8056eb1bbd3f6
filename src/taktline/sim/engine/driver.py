"""Drive a compiled run from Python: fill the samplers, call the event loop, and at each
stop refill, grow and move the staged records into the :class:`RecordLog`.

The loop only stops between two events, so the driver never sees a half-done event.
If one event ever outgrows an array (:class:`CapacityExceeded`), the run starts over
with every margin eight times larger; runs are deterministic, so this costs time, never
a different result.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numba
import numpy as np

from taktline.errors import SimulationError
from taktline.plant.orders import Order
from taktline.plant.schema import Plant
from taktline.sim.engine import layout as L
from taktline.sim.engine.cache import STAMP, compile_lock, refresh, source_digest
from taktline.sim.engine.chains import schedule_chains
from taktline.sim.engine.layout import CapacityExceeded, Sim
from taktline.sim.engine.loop import SERVICE, run_until
from taktline.sim.engine.lower import Lowered, lower, pow2
from taktline.sim.engine.plans import serve_plans
from taktline.sim.engine.tables import Stash, flush, full, table_rows
from taktline.sim.model import Model
from taktline.sim.random import _BATCH as BATCH
from taktline.sim.records import RecordLog

__all__ = ["Outcome", "compile_engine", "run_compiled"]

Progress = Callable[[float, float], None]
MAX_SCALE = 512
MAX_CHUNK = 1 << 17  # staged rows per record table, at most
MAX_SAMPLER_RING = 1 << 14  # values a sampler holds ahead, at most


@dataclass(frozen=True)
class Outcome:
    """What a compiled run gives back to :func:`taktline.sim.run.run_twin`."""

    log: RecordLog
    events: int
    compile_s: float


def engine_cached() -> bool:
    """True when this process has the compiled loop, or numba's cache holds machine code
    of the current sources (so a run starts in a fraction of a second)."""
    loop = cast(Any, run_until)
    if not hasattr(loop, "compile") or loop.signatures:
        return True
    cache_dir = Path(loop._cache._cache_path)
    try:
        fresh = (cache_dir / STAMP).read_text() == source_digest()
    except OSError:
        return False
    return fresh and any(cache_dir.glob("loop.*.nbc"))


def compile_engine(sim: Sim) -> float:
    """Compile the event loop, or load it from numba's cache; the seconds it took (0
    when this process has it already)."""
    loop = cast(Any, run_until)
    if not hasattr(loop, "compile"):  # NUMBA_DISABLE_JIT: plain Python
        return 0.0
    if loop.signatures:
        return 0.0
    start = time.perf_counter()
    cache_dir = Path(loop._cache._cache_path)
    with compile_lock(cache_dir):  # one process compiles, the others then load its cache
        refresh(cache_dir)  # stale callers of a changed function in another file survive
        loop.compile((cast(Any, numba).typeof(sim), numba.float64))
        arr_f, arr_i = numba.float64[::1], numba.int64[::1]
        cast(Any, schedule_chains).compile((cast(Any, numba).typeof(sim), arr_f, arr_i, arr_i,
                                            arr_i, arr_i))
    return time.perf_counter() - start


def run_compiled(
    plant: Plant,
    *,
    horizon_s: float,
    seed: int,
    orders: list[Order] | None,
    progress: Progress | None,
    record_buffers: bool,
    step_s: float,
) -> Outcome:
    """Build the model of ``plant``, lower it and run it with the compiled engine."""
    scale = 1
    compile_s = 0.0
    while True:
        model = Model(plant, seed, orders=orders, record_buffers=record_buffers)
        low = lower(model, scale)
        compile_s += compile_engine(low.sim)
        stash = Stash()
        try:
            sim = _drive(model, low, stash, horizon_s, progress, step_s)
        except CapacityExceeded as exc:
            if scale >= MAX_SCALE:
                raise SimulationError(f"the compiled twin ran out of room: {exc}") from exc
            scale *= 8
            continue
        _finish(model, low, stash, sim, horizon_s)
        return Outcome(log=model.log, events=int(sim.ei[L.KERNEL, L.K_EVENTS]), compile_s=compile_s)


def _drive(model: Model, low: Lowered, stash: Stash, horizon_s: float,
           progress: Progress | None, step_s: float) -> Sim:
    sim = _refill(low.sim, low, first=True)
    _queue_begin(sim, low.order)
    horizon_s = float(horizon_s)  # one compiled signature: an int horizon would be another
    if horizon_s <= 0.0:  # no run at all: the components begin, nothing they queue runs
        sim.ei[L.KERNEL, L.K_BEGIN_ONLY] = 1
        if run_until(sim, -math.inf) == SERVICE:
            sim = _service(sim, low, model, stash)
    t = 0.0
    while t < horizon_s:
        t = min(t + step_s, horizon_s) if progress is not None else horizon_s
        while run_until(sim, t) == SERVICE:
            sim = _service(sim, low, model, stash)
        if progress is not None:
            progress(t, horizon_s)
    return sim


def _queue_begin(sim: Sim, order: L.I64) -> None:
    """Queue every component's ``begin`` at time 0, in the model's order."""
    k = sim.ei[L.KERNEL]
    n = len(order)
    entries = sim.pool[int(k[L.K_SOON0]): int(k[L.K_SOON0]) + 3 * n].reshape(n, 3)
    entries[:, 0] = L.OP_BEGIN
    entries[:, 1] = order
    entries[:, 2] = 0
    k[L.K_SOON_HEAD] = 0
    k[L.K_SOON_N] = n


def _finish(model: Model, low: Lowered, stash: Stash, sim: Sim, horizon_s: float) -> None:
    """Move the last records and close the stops still going on (NaN ends)."""
    flush(sim, low, model, stash, everything=True)
    stash.commit(model.log)
    model.record_routes(horizon_s)
    ei, ef = sim.ei, sim.ef
    down = model.log.table("downtime").appender()
    for s, row in enumerate(low.station_rows.tolist()):
        m0 = int(ei[row, L.S_M0])
        for m in range(m0, m0 + int(ei[row, L.S_NOPM] + ei[row, L.S_NCALM])):
            if ei[m, L.M_DOWN]:
                down(float(ef[m, L.MF_SINCE]), math.nan, s, int(ei[m, L.M_CAUSE]), 0)
        if ei[row, L.S_PLANNED]:
            down(float(ef[row, L.SF_PSINCE]), math.nan, s, int(ei[row, L.S_PCAUSE]), 1)


# -- service: between two events ------------------------------------------------------
def _service(sim: Sim, low: Lowered, model: Model, stash: Stash) -> Sim:
    k = sim.ei[L.KERNEL]
    if k[L.K_PLANS]:  # plan the AGV chains asked for and put their steps on the heap
        steps = serve_plans(sim, low.reserved)
        k[L.K_PLANS] = 0
        if steps is not None:
            sim = _grow_heap(sim, low, len(steps[0]))
            schedule_chains(sim, *steps)
            sim = _grow_heap(sim, low)
        if not k[L.K_SERVICE]:
            return sim
    sim = _refill(sim, low)
    sim = _grow_heap(sim, low)
    sim = _grow_items(sim, low)
    sim = _grow_pool(sim, low)
    if k[L.K_SOON_GROW]:  # the queue is empty between events: a larger one, from 0
        size = int(k[L.K_SOON_SIZE]) * 2
        sim, k[L.K_SOON0] = _alloc(sim, low, 3 * size)
        k[L.K_SOON_SIZE] = size
        k[L.K_SOON_HEAD] = 0
        k[L.K_SOON_SOFT] = size // 2
        k[L.K_SOON_GROW] = 0
    grow = full(sim)
    if flush(sim, low, model, stash, everything=False):
        sim = _restage(sim, low, grow)
    k[L.K_SERVICE] = 0
    return sim


def _alloc(sim: Sim, low: Lowered, n: int) -> tuple[Sim, int]:
    """A new region of ``n`` slots in both pools, after the last one: (state, offset).
    The pools keep room to spare (they double when full), so this seldom copies."""
    off = low.pool_end
    if off + n > sim.pool.shape[0]:
        size = max(2 * sim.pool.shape[0], off + n)
        pool = np.zeros(size, np.int64)
        poolf = np.zeros(size)
        pool[:off] = sim.pool[:off]
        poolf[:off] = sim.poolf[:off]
        sim = sim._replace(pool=pool, poolf=poolf)
    low.pool_end = off + n
    return sim, off


def _restage(sim: Sim, low: Lowered, grow: np.ndarray) -> Sim:
    """Staged tables that filled up (now empty) get regions twice as large."""
    for t in np.flatnonzero(grow).tolist():
        rows = table_rows(sim)
        cap = int(rows[t, L.RS_CAP])
        chunk = min(2 * (cap - low.room.records), MAX_CHUNK)
        nf, ni = L.TABLE_WIDTHS[t]
        new = chunk + low.room.records
        if new <= cap:
            continue
        sim, foff = _alloc(sim, low, nf * new)
        sim, ioff = _alloc(sim, low, ni * new)
        rows = table_rows(sim)
        rows[t, L.RS_FOFF], rows[t, L.RS_IOFF], rows[t, L.RS_CAP] = foff, ioff, new
    return sim


def _refill(sim: Sim, low: Lowered, first: bool = False) -> Sim:
    """Top up every sampler that fell below its low-water mark, batch by batch from its
    own stream. At the start one batch is enough; a sampler that needs topping up
    again gets a ring twice as large each time (busy samplers stop the loop seldom)."""
    ei, rows = sim.ei, low.sampler_rows
    if not len(rows):
        return sim
    head, fill = ei[rows, L.P_HEAD], ei[rows, L.P_FILL]
    need = (ei[rows, L.P_CONST] == 0) & (fill - head <= ei[rows, L.P_LOW])
    for n in np.flatnonzero(need).tolist():
        row = int(rows[n])
        if not first and int(ei[row, L.P_SIZE]) < MAX_SAMPLER_RING:
            sim = _grow_sampler(sim, low, row)
        off, size, low_mark = (int(x) for x in ei[row, [L.P_OFF, L.P_SIZE, L.P_LOW]])
        f, h = int(ei[row, L.P_FILL]), int(ei[row, L.P_HEAD])
        fill_batch = low.samplers[n]._fill  # the Python sampler's own batches, in order
        while size - (f - h) >= BATCH and not (first and f - h > low_mark):
            pos = off + (f & (size - 1))
            sim.poolf[pos: pos + BATCH] = fill_batch(BATCH)
            f += BATCH
        ei[row, L.P_FILL] = f
    return sim


def _grow_sampler(sim: Sim, low: Lowered, row: int) -> Sim:
    """Move a sampler's values to a ring twice as large (same draw counters)."""
    ei = sim.ei
    off, size = int(ei[row, L.P_OFF]), int(ei[row, L.P_SIZE])
    k = np.arange(int(ei[row, L.P_HEAD]), int(ei[row, L.P_FILL]))
    sim, new = _alloc(sim, low, 2 * size)
    sim.poolf[new + (k & (2 * size - 1))] = sim.poolf[off + (k & (size - 1))]
    ei[row, L.P_OFF] = new
    ei[row, L.P_SIZE] = 2 * size
    return sim


def _grow_heap(sim: Sim, low: Lowered, extra: int = 0) -> Sim:
    """A heap twice as large (or more, to hold ``extra`` events more) when it passed its
    soft limit."""
    k = sim.ei[L.KERNEL]
    if k[L.K_HEAP_N] + extra <= k[L.K_HEAP_SOFT]:
        return sim
    size = max(sim.ht.shape[0] * 2, pow2(int(k[L.K_HEAP_N]) + extra + low.room.heap))
    ht = np.zeros(size)
    hq = np.zeros((size, 4), np.int64)
    ht[: sim.ht.shape[0]] = sim.ht
    hq[: sim.hq.shape[0]] = sim.hq
    k[L.K_HEAP_SOFT] = size - low.room.heap
    return sim._replace(ht=ht, hq=hq)


def _grow_items(sim: Sim, low: Lowered) -> Sim:
    """Twice as many item rows, and a free list (a new region) that holds them all."""
    k = sim.ei[L.KERNEL]
    if k[L.K_FREE_N] >= k[L.K_FREE_SOFT]:
        return sim
    old = sim.items.shape[0]
    size = old * 2
    items = np.zeros((size, L.IT_WIDTH), np.int64)
    items[:old] = sim.items
    n = int(k[L.K_FREE_N])
    sim, off = _alloc(sim, low, size)
    sim.pool[off: off + n] = sim.pool[int(k[L.K_FREE0]): int(k[L.K_FREE0]) + n]
    sim.pool[off + n: off + n + size - old] = np.arange(size - 1, old - 1, -1)
    k[L.K_FREE0] = off
    k[L.K_FREE_N] = n + size - old
    return sim._replace(items=items)


def _grow_pool(sim: Sim, low: Lowered) -> Sim:
    """Move every queue or list that passed its margin to a region twice as large."""
    ei, margin = sim.ei, int(sim.ei[L.KERNEL, L.K_RING_MARGIN])
    for r, c in low.rings:
        off, size, head, n = (int(x) for x in ei[r, c: c + 4])
        if n > size - margin:
            sim, new = _alloc(sim, low, 2 * size)
            idx = off + (head + np.arange(n)) % size
            sim.pool[new: new + n] = sim.pool[idx]
            sim.poolf[new: new + n] = sim.poolf[idx]
            ei[r, c: c + 4] = (new, 2 * size, 0, n)
    for r, c in low.lists:
        off, size, n = (int(x) for x in ei[r, c: c + 3])
        if n > size - margin:
            sim, new = _alloc(sim, low, 2 * size)
            sim.pool[new: new + n] = sim.pool[off: off + n]
            ei[r, c: c + 3] = (new, 2 * size, n)
    return sim
