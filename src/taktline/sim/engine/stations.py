"""Compiled stations: taking inputs, starting work, handing items over.

The rules are those of :mod:`taktline.sim.station`. One thing is shaped differently:
in Python, putting an item into a zero-capacity buffer wakes its consumer *inside* the
put, and that consumer may hand its own blocked items over in turn (a recursion along
a chain of hand-over places). Numba cannot cache mutually recursive functions, so
:func:`station_wake` keeps that recursion on an explicit stack (in the pool): a frame is
a station in the middle of unblocking its servers, resumed where the Python call would
return.
"""

from __future__ import annotations

from taktline.sim.engine.buffers import has_space, put, ready, take, wait_for_item, wait_for_space
from taktline.sim.engine.core import draw, heap_push, item_free, item_new, now
from taktline.sim.engine.jit import compiled, inlined
from taktline.sim.engine.layout import (
    B_CAP,
    B_COUNT,
    BLOCKED,
    EK_STATION,
    EV_DONE,
    EV_SETUP_DONE,
    IDLE,
    IDX,
    IT_COLOUR,
    IT_GOOD,
    IT_MODEL,
    IT_OPTIONS,
    IT_PART,
    IT_REJECT,
    IT_SERIAL,
    IT_VARIANT,
    IT_VEHICLE,
    K_NVAR,
    K_SCRATCH0,
    K_WST0,
    K_WST_SIZE,
    KERNEL,
    KIND,
    NORMAL,
    ROUTE_BY_PART,
    ROUTE_ROUND_ROBIN,
    ROUTE_SHORTEST,
    S_BATCH,
    S_BF0,
    S_BLOCKED,
    S_BUSY,
    S_CYC0,
    S_FAILED,
    S_FAMILY,
    S_H0,
    S_HCAP,
    S_HHEAD,
    S_HN,
    S_HSUM,
    S_IDLE,
    S_IN0,
    S_LOTLEFT,
    S_LOTPART,
    S_LOTSIZE,
    S_MAXBATCH,
    S_NIN,
    S_NOUT,
    S_NPART,
    S_NV,
    S_OPT,
    S_OPTBIT,
    S_OPTMAX,
    S_OUT0,
    S_PART0,
    S_PLANNED,
    S_PRODUCES,
    S_REJECT,
    S_ROUTE,
    S_RR,
    S_SETON,
    S_SETSAMP,
    S_SETUP,
    S_V0,
    S_WF0,
    SETUP,
    SETUP_COLOUR,
    SETUP_MODEL,
    SETUP_NONE,
    SETUP_VARIANT,
    SF_SLOW,
    V_ITEM,
    V_STATE,
    V_TOKEN,
    VF_END,
    VF_START,
    VF_WORK,
    WORK,
    CapacityExceeded,
    Sim,
)
from taktline.sim.engine.recording import rec_join, rec_overload, rec_setup
from taktline.sim.engine.sink import sink_wake_input
from taktline.sim.engine.state import op_start, update_state

__all__ = ["begin_work", "handover", "push", "station_take", "station_wake"]


# -- taking inputs -----------------------------------------------------------------
@compiled
def _raw_part(S: Sim, s: int) -> int:
    """The part a station without inputs makes next (by_part: lots, emptiest store)."""
    ei = S.ei
    if ei[s, S_ROUTE] != ROUTE_BY_PART:
        return int(ei[s, S_PRODUCES])
    if ei[s, S_LOTLEFT] <= 0:
        best = -1
        best_fill = 2.0
        p0 = ei[s, S_PART0]
        out0 = ei[s, S_OUT0]
        for k in range(ei[s, S_NPART]):
            part = S.pool[p0 + 2 * k]
            b = S.pool[out0 + S.pool[p0 + 2 * k + 1]]
            cap = ei[b, B_CAP]
            fill = ei[b, B_COUNT] / cap if cap > 0 else 0.0
            if fill < best_fill:
                best = part
                best_fill = fill
        ei[s, S_LOTPART] = best
        ei[s, S_LOTLEFT] = ei[s, S_LOTSIZE]
    ei[s, S_LOTLEFT] -= 1
    return int(ei[s, S_LOTPART])


@compiled
def _join(S: Sim, s: int) -> int:
    """Take ``qty`` items from every input and join them into one."""
    ei, pool, it = S.ei, S.pool, S.items
    in0 = ei[s, S_IN0]
    taken = ei[KERNEL, K_SCRATCH0]  # the items taken, in order, at pool[taken + j]
    total = 0
    for k in range(ei[s, S_NIN]):
        for _ in range(pool[in0 + 2 * k + 1]):
            pool[taken + total] = take(S, pool[in0 + 2 * k])
            total += 1
    main = -1
    for j in range(total):
        if it[pool[taken + j], IT_VEHICLE] >= 0:
            main = pool[taken + j]
            break
    if main < 0:
        main = item_new(S, ei[s, S_PRODUCES]) if ei[s, S_PRODUCES] >= 0 else pool[taken]
    else:
        for j in range(total):
            x = pool[taken + j]
            if x != main:
                rec_join(S, ei[s, IDX], it[main, IT_VEHICLE], it[x, IT_PART], it[x, IT_SERIAL])
    bad = False
    for j in range(total):
        if not it[pool[taken + j], IT_GOOD]:
            bad = True
    if bad:
        it[main, IT_GOOD] = 0
    for j in range(total):
        if pool[taken + j] != main:
            item_free(S, pool[taken + j])
    return main


@compiled
def station_take(S: Sim, s: int) -> int:
    """The next item to work on, or -1 (then the station waits for its inputs)."""
    ei, pool = S.ei, S.pool
    nin = ei[s, S_NIN]
    if nin == 0:
        return item_new(S, _raw_part(S, s))
    in0 = ei[s, S_IN0]
    wf0 = ei[s, S_WF0]
    if nin == 1 and pool[in0 + 1] == 1:
        b = pool[in0]
        if ready(S, b):
            return take(S, b)
        if not pool[wf0]:
            pool[wf0] = 1
            wait_for_item(S, b, s, 0)
        return -1
    for slot in range(nin):
        b = pool[in0 + 2 * slot]
        if ready(S, b) < pool[in0 + 2 * slot + 1]:
            if not pool[wf0 + slot]:
                pool[wf0 + slot] = 1
                wait_for_item(S, b, s, slot)
            return -1
    return _join(S, s)


# -- working -----------------------------------------------------------------------
@compiled
def _overloaded(S: Sim, s: int, options: int) -> bool:
    """Option N/P: record the next vehicle; True if it carries the option one too many."""
    ei = S.ei
    has = 1 if options & ei[s, S_OPTBIT] else 0
    over = has == 1 and ei[s, S_HSUM] + 1 > ei[s, S_OPTMAX]
    cap = ei[s, S_HCAP]
    if cap > 0:
        h0 = ei[s, S_H0]
        n = ei[s, S_HN]
        head = ei[s, S_HHEAD]
        if n == cap:  # full: the oldest vehicle leaves the window
            ei[s, S_HSUM] -= S.pool[h0 + head]
            S.pool[h0 + head] = has
            ei[s, S_HHEAD] = (head + 1) % cap
        else:
            S.pool[h0 + (head + n) % cap] = has
            ei[s, S_HN] = n + 1
        ei[s, S_HSUM] += has
    return over


@compiled
def _family(S: Sim, item: int, on: int) -> int:
    if on == SETUP_COLOUR:
        return int(S.items[item, IT_COLOUR])
    if on == SETUP_VARIANT:
        return int(S.items[item, IT_VARIANT])
    if on == SETUP_MODEL:
        return int(S.items[item, IT_MODEL])
    return int(S.items[item, IT_PART])


@compiled
def _setup_time(S: Sim, s: int, item: int) -> float:
    """The setup before ``item`` (0: none); updates the family and the batch count."""
    ei = S.ei
    fam = _family(S, item, ei[s, S_SETON])
    ei[s, S_BATCH] += 1
    if fam != ei[s, S_FAMILY] or ei[s, S_BATCH] > ei[s, S_MAXBATCH]:
        prev = ei[s, S_FAMILY]
        ei[s, S_FAMILY] = fam
        ei[s, S_BATCH] = 1
        if prev >= 0:
            dur = draw(S, ei[s, S_SETSAMP])
            if dur > 0.0:
                rec_setup(S, ei[s, IDX], dur, prev, fam)
                return dur
    return 0.0


@compiled
def begin_work(S: Sim, s: int, v: int, item: int) -> None:
    """Start work on ``item`` at server row ``v`` (already counted busy)."""
    ei, ef, it = S.ei, S.ef, S.items
    t = now(S)
    ei[v, V_ITEM] = item
    ef[v, VF_START] = t
    var = it[item, IT_VARIANT]
    cycle = draw(S, S.pool[ei[s, S_CYC0] + (var if var >= 0 else S.ei[KERNEL, K_NVAR])])
    if ei[s, S_OPT] >= 0 and it[item, IT_VEHICLE] >= 0 and _overloaded(S, s, it[item, IT_OPTIONS]):
        cycle *= ef[s, SF_SLOW]
        rec_overload(S, ei[s, IDX], it[item, IT_VEHICLE], ei[s, S_OPT])
    ef[v, VF_WORK] = cycle
    ei[v, V_TOKEN] += 1
    if ei[s, S_SETON] != SETUP_NONE:
        dur = _setup_time(S, s, item)
        if dur > 0.0:
            ei[v, V_STATE] = SETUP
            ei[s, S_SETUP] += 1
            ef[v, VF_END] = t + dur
            heap_push(S, ef[v, VF_END], NORMAL, EV_SETUP_DONE, v, ei[v, V_TOKEN])
            return
    ei[v, V_STATE] = WORK
    ef[v, VF_END] = t + cycle
    heap_push(S, ef[v, VF_END], NORMAL, EV_DONE, v, ei[v, V_TOKEN])


# -- handing over ------------------------------------------------------------------
@inlined
def _push_to(S: Sim, s: int, b: int, slot: int) -> int:
    if has_space(S, b):
        return slot
    bf = S.ei[s, S_BF0] + slot
    if not S.pool[bf]:
        S.pool[bf] = 1
        wait_for_space(S, b, s, slot)
    return -1


@compiled
def _slot_at(S: Sim, s: int, i: int, n: int) -> int:
    """The ``i``-th output slot in the order the route tries them."""
    route = S.ei[s, S_ROUTE]
    if route == ROUTE_ROUND_ROBIN:
        return int((S.ei[s, S_RR] + i) % n)
    if route != ROUTE_SHORTEST:
        return i
    out0 = S.ei[s, S_OUT0]  # stable sort by level: the slot with i others before it
    for j in range(n):
        cj = S.ei[S.pool[out0 + j], B_COUNT]
        before = 0
        for k in range(n):
            ck = S.ei[S.pool[out0 + k], B_COUNT]
            if ck < cj or (ck == cj and k < j):
                before += 1
        if before == i:
            return j
    return -1


@compiled
def _part_slot(S: Sim, s: int, part: int) -> int:
    p0 = S.ei[s, S_PART0]
    for k in range(S.ei[s, S_NPART]):
        if S.pool[p0 + 2 * k] == part:
            return int(S.pool[p0 + 2 * k + 1])
    raise KeyError("route by_part: no output for this part")


@compiled
def push_select(S: Sim, s: int, item: int) -> tuple[int, int, bool]:
    """Where ``item`` goes: (slot, buffer, whether the route remembers the slot);
    slot -1 when no output has room (the station then waits for space)."""
    ei, pool = S.ei, S.pool
    nout = ei[s, S_NOUT]
    out0 = ei[s, S_OUT0]
    if S.items[item, IT_REJECT] and ei[s, S_REJECT] >= 0:  # failed this station's check
        return _push_to(S, s, ei[s, S_REJECT], nout), ei[s, S_REJECT], False
    if nout == 1:
        return _push_to(S, s, pool[out0], 0), pool[out0], False
    if ei[s, S_ROUTE] == ROUTE_BY_PART:
        slot = _part_slot(S, s, S.items[item, IT_PART])
        return _push_to(S, s, pool[out0 + slot], slot), pool[out0 + slot], False
    for i in range(nout):
        slot = _slot_at(S, s, i, nout)
        if has_space(S, pool[out0 + slot]):
            return slot, pool[out0 + slot], True
    for i in range(nout):
        slot = _slot_at(S, s, i, nout)
        bf = ei[s, S_BF0] + slot
        if not pool[bf]:
            pool[bf] = 1
            wait_for_space(S, pool[out0 + slot], s, slot)
    return -1, -1, False


@inlined
def push(S: Sim, s: int, item: int) -> bool:
    """Hand ``item`` to an output (waking a taker of a hand-over place at once)."""
    slot, b, remember = push_select(S, s, item)
    if slot < 0:
        return False
    S.items[item, IT_REJECT] = 0
    taker = put(S, b, item, False)
    if taker >= 0:
        handover(S, taker)
    if remember:
        S.ei[s, S_RR] = (slot + 1) % S.ei[s, S_NOUT]
    return True


# -- waking (an explicit stack instead of recursion) ---------------------------------
@compiled
def _wake_tail(S: Sim, s: int) -> None:
    """Start work on every idle server that can get an item; record the state."""
    ei = S.ei
    v0 = ei[s, S_V0]
    while ei[s, S_IDLE]:
        item = station_take(S, s)
        if item < 0:
            break
        for v in range(v0, v0 + ei[s, S_NV]):
            if ei[v, V_STATE] == IDLE:
                ei[s, S_IDLE] -= 1
                ei[s, S_BUSY] += 1
                if ei[s, S_BUSY] == 1:
                    op_start(S, s)
                begin_work(S, s, v, item)
                break
    update_state(S, s)


@compiled
def _unblocked(S: Sim, s: int, v: int, rr: int) -> None:
    """Server row ``v`` handed its item over: it is idle again."""
    ei = S.ei
    if rr >= 0:
        ei[s, S_RR] = rr
    ei[v, V_ITEM] = -1
    ei[v, V_STATE] = IDLE
    ei[s, S_BLOCKED] -= 1
    ei[s, S_IDLE] += 1


@compiled
def _unblock_from(S: Sim, frame: int) -> int:
    """Go on unblocking the servers of the wake frame at pool[frame]; a station to wake
    first (a taker of a hand-over place), or -1 when all servers were tried."""
    wst, ei = S.pool, S.ei
    s = wst[frame]
    v0 = ei[s, S_V0]
    for i in range(wst[frame + 1], ei[s, S_NV]):
        v = v0 + i
        if ei[v, V_STATE] != BLOCKED or ei[v, V_ITEM] < 0:
            continue
        slot, b, remember = push_select(S, s, ei[v, V_ITEM])
        if slot < 0:
            continue
        taker = put(S, b, ei[v, V_ITEM], False)
        rr = (slot + 1) % ei[s, S_NOUT] if remember else -1
        if taker >= 0 and ei[taker, KIND] == EK_STATION:
            wst[frame + 1] = i  # resume with this server once the taker is done
            wst[frame + 2] = rr
            return taker
        if taker >= 0:
            sink_wake_input(S, taker, -1)
        _unblocked(S, s, v, rr)
    return -1


@compiled
def station_wake(S: Sim, s: int) -> None:
    """The station's ``wake``: unblock servers, take items, start work."""
    wst = S.pool  # frames of (station, server, round-robin slot) from pool[K_WST0]
    base = S.ei[KERNEL, K_WST0]
    depth = S.ei[KERNEL, K_WST_SIZE]
    sp = 0
    wst[base] = s
    wst[base + 1] = -1
    while sp >= 0:
        frame = base + 3 * sp
        st = wst[frame]
        if wst[frame + 1] < 0:  # a new frame: the Python wake() entry
            if S.ei[st, S_FAILED] or S.ei[st, S_PLANNED]:
                sp -= 1
                continue
            if not S.ei[st, S_BLOCKED]:
                _wake_tail(S, st)
                sp -= 1
                continue
            wst[frame + 1] = 0
        else:  # back from a taker: finish the server that handed over
            i = wst[frame + 1]
            _unblocked(S, st, S.ei[st, S_V0] + i, wst[frame + 2])
            wst[frame + 1] = i + 1
        taker = _unblock_from(S, frame)
        if taker >= 0:
            sp += 1
            if sp >= depth:
                raise CapacityExceeded("wake stack")
            wst[frame + 3] = taker
            wst[frame + 4] = -1
        else:
            _wake_tail(S, st)
            sp -= 1


@inlined
def handover(S: Sim, taker: int) -> None:
    """Wake the taker of a hand-over place (its ``wake_input(-1)``)."""
    if S.ei[taker, KIND] == EK_STATION:
        station_wake(S, taker)
    else:
        sink_wake_input(S, taker, -1)
