"""Compiled sources, part feeds, AGV moves and fleets (:mod:`taktline.sim.source` and
:mod:`taktline.sim.agv`)."""

from __future__ import annotations

from taktline.sim.engine.buffers import has_space, put, ready, take, wait_for_item, wait_for_space
from taktline.sim.engine.chains import request_chain
from taktline.sim.engine.core import draw, heap_push, item_new, now, ring_pop, ring_push
from taktline.sim.engine.jit import compiled, inlined
from taktline.sim.engine.layout import (
    A_FLEET,
    A_ITEM,
    A_MOVE,
    A_NODE,
    A_STATE,
    AF_PICKED,
    AF_TASKT,
    AGV_CARRYING,
    AGV_IDLE,
    AGV_LOADING,
    AGV_TO_PICKUP,
    AGV_UNLOADING,
    B_COUNT,
    B_OUT,
    EV_AT_DROP,
    EV_AT_PICKUP,
    EV_LOADED,
    EV_RELEASE,
    EV_UNLOADED,
    FD_BUF,
    FD_D0,
    FD_DLEN,
    FD_PART,
    FD_WAITING,
    FL_A0,
    FL_D0,
    FL_LOAD,
    FL_M0,
    FL_NA,
    FL_NM,
    FL_NN,
    FL_Q0,
    FL_QLEN,
    FL_RESERVED,
    FL_UNLOAD,
    FLF_SPEED,
    IDX,
    IT_COLOUR,
    IT_MODEL,
    IT_OPTIONS,
    IT_VARIANT,
    IT_VEHICLE,
    K_BODY,
    K_VEHICLE,
    K_VMODEL0,
    KERNEL,
    MAKE_MIX,
    MAKE_ORDERS,
    MV_DROP,
    MV_DST,
    MV_FLEET,
    MV_PICK,
    MV_SRC,
    MV_WITEM,
    MV_WSPACE,
    NORMAL,
    R_BUF,
    R_CCUM0,
    R_EXHAUSTED,
    R_INTERVAL,
    R_MAKE,
    R_NCOL,
    R_NOPT,
    R_NORD,
    R_NVAR,
    R_OPOS,
    R_ORD0,
    R_PART,
    R_PENDING,
    R_RATE0,
    R_RECORD,
    R_UCOL,
    R_UOPT0,
    R_UVAR,
    R_VCUM0,
    Sim,
)
from taktline.sim.engine.recording import rec_agv, rec_release, rec_transport, rec_vehicle
from taktline.sim.engine.stations import handover

__all__ = [
    "agv_at_drop",
    "agv_at_pickup",
    "agv_loaded",
    "agv_unloaded",
    "feed_deliver",
    "feed_wake_output",
    "fleet_begin",
    "move_wake_input",
    "move_wake_output",
    "release_arrive",
    "release_begin",
    "release_wake_output",
]


# -- vehicle and part sources ------------------------------------------------------
@compiled
def _pick(S: Sim, c0: int, n: int, u: float) -> int:
    for i in range(n):
        if u < S.poolf[c0 + i]:
            return i
    return n - 1


@compiled
def _vehicle(S: Sim, variant: int, colour: int, options: int, order: int) -> int:
    item = item_new(S, S.ei[KERNEL, K_BODY])
    it = S.items
    it[item, IT_VEHICLE] = S.ei[KERNEL, K_VEHICLE]
    S.ei[KERNEL, K_VEHICLE] += 1
    it[item, IT_VARIANT] = variant
    it[item, IT_MODEL] = S.pool[S.ei[KERNEL, K_VMODEL0] + variant]
    it[item, IT_COLOUR] = colour
    it[item, IT_OPTIONS] = options
    rec_vehicle(S, order)
    return item


@compiled
def _make(S: Sim, r: int) -> int:
    """The next item of a source, or -1 when its sequence has run out."""
    ei = S.ei
    kind = ei[r, R_MAKE]
    if kind == MAKE_ORDERS:
        pos = ei[r, R_OPOS]
        if pos >= ei[r, R_NORD]:
            return -1
        ei[r, R_OPOS] = pos + 1
        o = ei[r, R_ORD0] + 3 * pos
        return _vehicle(S, S.pool[o], S.pool[o + 1], S.pool[o + 2], pos)
    if kind == MAKE_MIX:
        variant = _pick(S, ei[r, R_VCUM0], ei[r, R_NVAR], draw(S, ei[r, R_UVAR]))
        colour = _pick(S, ei[r, R_CCUM0], ei[r, R_NCOL], draw(S, ei[r, R_UCOL]))
        mask = 0
        for i in range(ei[r, R_NOPT]):
            if draw(S, S.pool[ei[r, R_UOPT0] + i]) < S.poolf[ei[r, R_RATE0] + i]:
                mask |= 1 << i
        return _vehicle(S, variant, colour, mask, -1)
    return item_new(S, ei[r, R_PART])


@inlined
def _release_put(S: Sim, r: int, item: int) -> None:
    taker = put(S, S.ei[r, R_BUF], item, False)
    if taker >= 0:
        handover(S, taker)
    if S.ei[r, R_RECORD]:
        it = S.items
        rec_release(S, it[item, IT_VEHICLE], it[item, IT_VARIANT], it[item, IT_COLOUR],
                    it[item, IT_OPTIONS])


@inlined
def release_wake_output(S: Sim, r: int, slot: int) -> None:
    ei = S.ei
    b = ei[r, R_BUF]
    if ei[r, R_INTERVAL] >= 0:  # a waiting release goes in; the clock restarts
        pending = ei[r, R_PENDING]
        if pending >= 0 and has_space(S, b):
            _release_put(S, r, pending)
            ei[r, R_PENDING] = -1
            heap_push(S, now(S) + draw(S, ei[r, R_INTERVAL]), NORMAL, EV_RELEASE, r, 0)
        elif pending >= 0:
            wait_for_space(S, b, r, 0)
        return
    while not ei[r, R_EXHAUSTED] and has_space(S, b):
        item = _make(S, r)
        if item < 0:
            ei[r, R_EXHAUSTED] = 1
            return
        _release_put(S, r, item)
    if not ei[r, R_EXHAUSTED]:
        wait_for_space(S, b, r, 0)


@inlined
def release_begin(S: Sim, r: int) -> None:
    if S.ei[r, R_INTERVAL] < 0:
        release_wake_output(S, r, 0)
    else:
        heap_push(S, now(S) + draw(S, S.ei[r, R_INTERVAL]), NORMAL, EV_RELEASE, r, 0)


@inlined
def release_arrive(S: Sim, r: int) -> None:
    item = _make(S, r)
    if item < 0:
        S.ei[r, R_EXHAUSTED] = 1
        return
    S.ei[r, R_PENDING] = item
    release_wake_output(S, r, 0)


@inlined
def feed_deliver(S: Sim, f: int) -> None:
    ring_push(S, f, FD_D0, item_new(S, S.ei[f, FD_PART]))
    _unload(S, f)


@inlined
def feed_wake_output(S: Sim, f: int, slot: int) -> None:
    S.ei[f, FD_WAITING] = 0  # the buffer woke us: we are off its list
    _unload(S, f)


@inlined
def _unload(S: Sim, f: int) -> None:
    """Put what waits at the dock into the stock while it has room."""
    ei = S.ei
    b = ei[f, FD_BUF]
    while ei[f, FD_DLEN] and has_space(S, b):
        taker = put(S, b, S.pool[ring_pop(S, f, FD_D0)], False)
        if taker >= 0:
            handover(S, taker)
    if ei[f, FD_DLEN] and not ei[f, FD_WAITING]:
        ei[f, FD_WAITING] = 1
        wait_for_space(S, b, f, 0)


# -- AGV moves and fleets ------------------------------------------------------------
@compiled
def _dist(S: Sim, fl: int, a: int, b: int) -> float:
    return float(S.poolf[S.ei[fl, FL_D0] + a * S.ei[fl, FL_NN] + b])


@inlined
def _set(S: Sim, a: int, state: int) -> None:
    S.ei[a, A_STATE] = state
    rec_agv(S, S.ei[S.ei[a, A_FLEET], IDX], S.ei[a, IDX], state)


@inlined
def _start(S: Sim, a: int, mv: int) -> None:
    """The AGV takes the task (it is dispatched now): travel to the pickup."""
    ei = S.ei
    fl = ei[a, A_FLEET]
    ei[a, A_MOVE] = mv
    S.ef[a, AF_TASKT] = now(S)
    _set(S, a, AGV_TO_PICKUP)
    travel = _dist(S, fl, ei[a, A_NODE], ei[mv, MV_PICK]) / S.ef[fl, FLF_SPEED]
    heap_push(S, now(S) + travel, NORMAL, EV_AT_PICKUP, a, 0)


@inlined
def _assign(S: Sim, mv: int) -> None:
    """Give the task to the nearest idle AGV, or queue it (reserved routing: ask the
    driver to plan it, :mod:`taktline.sim.engine.chains`)."""
    ei = S.ei
    fl = ei[mv, MV_FLEET]
    if ei[fl, FL_RESERVED]:
        request_chain(S, mv)
        return
    best = -1
    best_d = float("inf")
    a0 = ei[fl, FL_A0]
    for a in range(a0, a0 + ei[fl, FL_NA]):
        if ei[a, A_STATE] == AGV_IDLE:
            d = _dist(S, fl, ei[a, A_NODE], ei[mv, MV_PICK])
            if d < best_d:
                best = a
                best_d = d
    if best < 0:
        ring_push(S, fl, FL_Q0, mv)
    else:
        _start(S, best, mv)


@inlined
def _request(S: Sim, mv: int) -> None:
    """Turn every waiting item that has a place to go into a task."""
    ei = S.ei
    src = ei[mv, MV_SRC]
    dst = ei[mv, MV_DST]
    while ready(S, src) > 0:
        if not has_space(S, dst):
            if not ei[mv, MV_WSPACE]:
                ei[mv, MV_WSPACE] = 1
                wait_for_space(S, dst, mv, 0)
            return
        ei[src, B_OUT] += 1
        ei[dst, B_COUNT] += 1
        _assign(S, mv)
    if not ei[mv, MV_WITEM]:
        ei[mv, MV_WITEM] = 1
        wait_for_item(S, src, mv, 0)


@inlined
def move_wake_input(S: Sim, mv: int, slot: int) -> None:
    if slot >= 0:
        S.ei[mv, MV_WITEM] = 0
    _request(S, mv)


@inlined
def move_wake_output(S: Sim, mv: int, slot: int) -> None:
    S.ei[mv, MV_WSPACE] = 0
    _request(S, mv)


@inlined
def fleet_begin(S: Sim, fl: int) -> None:
    ei = S.ei
    a0 = ei[fl, FL_A0]
    for a in range(a0, a0 + ei[fl, FL_NA]):
        rec_agv(S, ei[fl, IDX], ei[a, IDX], AGV_IDLE)
    m0 = ei[fl, FL_M0]
    for mv in range(m0, m0 + ei[fl, FL_NM]):
        _request(S, mv)


@inlined
def agv_at_pickup(S: Sim, a: int) -> None:
    ei = S.ei
    ei[a, A_NODE] = ei[ei[a, A_MOVE], MV_PICK]
    _set(S, a, AGV_LOADING)
    heap_push(S, now(S) + draw(S, ei[ei[a, A_FLEET], FL_LOAD]), NORMAL, EV_LOADED, a, 0)


@inlined
def agv_loaded(S: Sim, a: int) -> None:
    ei = S.ei
    mv = ei[a, A_MOVE]
    fl = ei[a, A_FLEET]
    src = ei[mv, MV_SRC]
    ei[src, B_OUT] -= 1
    ei[a, A_ITEM] = take(S, src)
    _set(S, a, AGV_CARRYING)
    travel = _dist(S, fl, ei[mv, MV_PICK], ei[mv, MV_DROP]) / S.ef[fl, FLF_SPEED]
    S.ef[a, AF_PICKED] = now(S)
    heap_push(S, now(S) + travel, NORMAL, EV_AT_DROP, a, 0)


@inlined
def agv_at_drop(S: Sim, a: int) -> None:
    ei = S.ei
    ei[a, A_NODE] = ei[ei[a, A_MOVE], MV_DROP]
    _set(S, a, AGV_UNLOADING)
    heap_push(S, now(S) + draw(S, ei[ei[a, A_FLEET], FL_UNLOAD]), NORMAL, EV_UNLOADED, a, 0)


@inlined
def agv_unloaded(S: Sim, a: int) -> None:
    ei = S.ei
    mv = ei[a, A_MOVE]
    fl = ei[a, A_FLEET]
    item = ei[a, A_ITEM]
    taker = put(S, ei[mv, MV_DST], item, True)
    if taker >= 0:
        handover(S, taker)
    rec_transport(S, S.ef[a, AF_TASKT], S.ef[a, AF_PICKED], ei[fl, IDX], ei[a, IDX],
                  ei[mv, IDX], S.items[item, IT_VEHICLE])
    ei[a, A_ITEM] = -1
    ei[a, A_MOVE] = -1
    _set(S, a, AGV_IDLE)
    if ei[fl, FL_QLEN]:
        _start(S, a, S.pool[ring_pop(S, fl, FL_Q0)])
