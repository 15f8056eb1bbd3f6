"""Compiled buffers: the rules of :mod:`taktline.sim.buffer` over the engine's arrays.

A buffer row keeps its items in a ring of the pool (``B_R0``..``B_RLEN``; a conveyor
keeps each item's arrival time at the same place of ``poolf``), its starved consumers in
the list ``B_W0``.. and its blocked producers in ``B_K0``.. (entries ``row << 16 |
slot``, woken in FIFO order through the same-instant queue).

``put`` does not hand an item over to a consumer of a zero-capacity buffer itself: it
returns that consumer, and the caller wakes it at once (see
:func:`taktline.sim.engine.stations.station_wake`, which does so without recursion).
"""

from __future__ import annotations

from taktline.sim.engine.core import (
    heap_push,
    list_add,
    now,
    ring_pop,
    ring_pos,
    ring_push,
    soon_push,
)
from taktline.sim.engine.jit import compiled, inlined
from taktline.sim.engine.layout import (
    B_C0,
    B_CAP,
    B_CONV,
    B_COUNT,
    B_K0,
    B_KN,
    B_NC,
    B_OUT,
    B_R0,
    B_REC,
    B_RLEN,
    B_W0,
    B_WN,
    BF_TRANSIT,
    EK_MOVE,
    EK_SINK,
    EV_ARRIVED,
    IDX,
    KIND,
    NORMAL,
    OP_WAKE_IN,
    OP_WAKE_OUT,
    S_FAILED,
    S_IDLE,
    S_IN0,
    S_NIN,
    S_PLANNED,
    SLOT_BITS,
    SLOT_MASK,
    UNBOUNDED,
    Sim,
)
from taktline.sim.engine.recording import rec_buffer

__all__ = [
    "arrived",
    "can_take_now",
    "has_space",
    "put",
    "ready",
    "take",
    "wait_for_item",
    "wait_for_space",
]


@inlined
def ready(S: Sim, b: int) -> int:
    """Items that can be taken now (on a conveyor: those at its end)."""
    ei = S.ei
    out = ei[b, B_OUT]
    n = ei[b, B_RLEN] - out
    if ei[b, B_CONV] and n > 0:
        t = now(S)
        k = out
        total = ei[b, B_RLEN]
        while k < total and S.poolf[ring_pos(S, b, B_R0, k)] <= t:
            k += 1
        n = k - out
    return int(n)


@compiled
def can_take_now(S: Sim, actor: int, b: int) -> bool:
    """Would ``actor`` take an item from buffer ``b`` at this instant?"""
    ei = S.ei
    kind = ei[actor, KIND]
    if kind == EK_SINK:
        return True
    if kind == EK_MOVE:
        return False
    if ei[actor, S_FAILED] or ei[actor, S_PLANNED] or not ei[actor, S_IDLE]:
        return False
    in0 = ei[actor, S_IN0]
    for k in range(ei[actor, S_NIN]):
        other = S.pool[in0 + 2 * k]
        if other != b and ready(S, other) < S.pool[in0 + 2 * k + 1]:
            return False
    return True


@compiled
def has_space(S: Sim, b: int) -> bool:
    ei = S.ei
    cap = ei[b, B_CAP]
    if cap == UNBOUNDED or ei[b, B_COUNT] < cap:
        return True
    if cap == 0:  # a hand-over place: only if a consumer takes the item at once
        c0 = ei[b, B_C0]
        for k in range(ei[b, B_NC]):
            if can_take_now(S, S.pool[c0 + k], b):
                return True
    return False


@inlined
def _wake_list(S: Sim, b: int, c0: int, op: int) -> None:
    ei = S.ei
    n = ei[b, c0 + 2]
    ei[b, c0 + 2] = 0
    off = ei[b, c0]
    for k in range(n):
        entry = S.pool[off + k]
        soon_push(S, op, entry >> SLOT_BITS, entry & SLOT_MASK)


@compiled
def put(S: Sim, b: int, item: int, reserved: bool) -> int:
    """Add an item; the consumer to hand it over to at once (zero capacity), else -1."""
    ei = S.ei
    if not reserved:
        ei[b, B_COUNT] += 1
    before = ei[b, B_RLEN]
    pos = ring_push(S, b, B_R0, item)
    if ei[b, B_CONV]:
        t = now(S) + S.ef[b, BF_TRANSIT]
        if before > 0:
            last = S.poolf[ring_pos(S, b, B_R0, before - 1)]
            if last > t:
                t = last
        S.poolf[pos] = t
        heap_push(S, t, NORMAL, EV_ARRIVED, b, 0)
    elif ei[b, B_WN]:
        _wake_list(S, b, B_W0, OP_WAKE_IN)
    if ei[b, B_REC] and ei[b, B_CAP] != 0:
        rec_buffer(S, ei[b, IDX], ei[b, B_COUNT])
    if ei[b, B_CAP] == 0:
        c0 = ei[b, B_C0]
        for k in range(ei[b, B_NC]):
            c = S.pool[c0 + k]
            if can_take_now(S, c, b):
                return int(c)
        if ei[b, B_REC]:  # nobody takes it (an AGV's reserved drop): it stays, and counts
            rec_buffer(S, ei[b, IDX], ei[b, B_COUNT])
    return -1


@compiled
def arrived(S: Sim, b: int) -> None:
    """An item reached the end of a conveyor."""
    if S.ei[b, B_WN]:
        _wake_list(S, b, B_W0, OP_WAKE_IN)


@compiled
def take(S: Sim, b: int) -> int:
    """Remove the head item and wake blocked producers."""
    ei = S.ei
    item = S.pool[ring_pop(S, b, B_R0)]
    ei[b, B_COUNT] -= 1
    if ei[b, B_REC]:
        rec_buffer(S, ei[b, IDX], ei[b, B_COUNT])
    if ei[b, B_KN]:
        _wake_list(S, b, B_K0, OP_WAKE_OUT)
    return int(item)


@compiled
def wait_for_item(S: Sim, b: int, actor: int, slot: int) -> None:
    list_add(S, b, B_W0, (actor << SLOT_BITS) | slot)
    if S.ei[b, B_CAP] == 0 and S.ei[b, B_KN]:  # a hand-over place now has a taker
        _wake_list(S, b, B_K0, OP_WAKE_OUT)


@compiled
def wait_for_space(S: Sim, b: int, actor: int, slot: int) -> None:
    list_add(S, b, B_K0, (actor << SLOT_BITS) | slot)
