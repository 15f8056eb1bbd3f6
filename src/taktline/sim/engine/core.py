"""Compiled primitives: the event heap, the same-instant queue, samplers, items, record
rows and the runtime queues of the pool.

Every fixed-size array has a *soft* limit: passing it sets ``K_SERVICE`` of the kernel row, and the
run loop returns to Python before the next event so the driver can refill or grow.
The margins are sized so that one event cannot go from the soft limit to the end of an
array; if it ever does, :class:`CapacityExceeded` is raised and the driver reruns with
more room (runs are deterministic, so the rerun gives the same records).
"""

from __future__ import annotations

from taktline.sim.engine.jit import compiled, inlined
from taktline.sim.engine.layout import (
    F_NOW,
    HQ_KEY,
    HQ_KIND,
    HQ_TARGET,
    HQ_TOKEN,
    IT_COLOUR,
    IT_GOOD,
    IT_MODEL,
    IT_OPTIONS,
    IT_PART,
    IT_REJECT,
    IT_SERIAL,
    IT_VARIANT,
    IT_VEHICLE,
    K_FREE0,
    K_FREE_N,
    K_FREE_SOFT,
    K_HEAP_N,
    K_HEAP_SOFT,
    K_REC_SOFT,
    K_RING_MARGIN,
    K_SEQ,
    K_SERIAL,
    K_SERVICE,
    K_SOON0,
    K_SOON_GROW,
    K_SOON_HEAD,
    K_SOON_N,
    K_SOON_SIZE,
    K_SOON_SOFT,
    K_TABLE0,
    KERNEL,
    P_CONST,
    P_FILL,
    P_HEAD,
    P_LOW,
    P_OFF,
    P_SIZE,
    PF_VALUE,
    PRIO_SHIFT,
    RS_CAP,
    RS_FOFF,
    RS_IOFF,
    RS_N,
    RS_NF,
    RS_NI,
    CapacityExceeded,
    Sim,
)

__all__ = [
    "draw",
    "heap_insert",
    "heap_pop",
    "heap_push",
    "item_free",
    "item_new",
    "list_add",
    "now",
    "rec_row",
    "ring_pop",
    "ring_pos",
    "ring_push",
    "soon_pop",
    "soon_push",
]


@compiled
def now(S: Sim) -> float:
    """The clock."""
    return float(S.ef[KERNEL, F_NOW])


# -- event heap: (time, key = prio << PRIO_SHIFT | seq) totally ordered -----------------
@compiled
def heap_push(S: Sim, time: float, prio: int, kind: int, target: int, token: int) -> None:
    """Schedule an event (the kernel's ``at``)."""
    k = S.ei[KERNEL]
    seq = k[K_SEQ] + 1
    k[K_SEQ] = seq
    heap_insert(S, time, (prio << PRIO_SHIFT) | seq, kind, target, token)


@compiled
def heap_insert(S: Sim, time: float, key: int, kind: int, target: int, token: int) -> None:
    """Put an event with its order ``key`` (priority and sequence number) on the heap; the
    driver calls it for events whose sequence numbers were taken earlier (reserved
    AGV chains, :mod:`taktline.sim.engine.chains`)."""
    k, ht, hq = S.ei[KERNEL], S.ht, S.hq
    n = k[K_HEAP_N]
    if n >= ht.shape[0]:
        raise CapacityExceeded("event heap")
    i = n
    while i > 0:
        p = (i - 1) >> 1
        pt = ht[p]
        if pt < time or (pt == time and hq[p, HQ_KEY] < key):
            break
        ht[i] = pt
        hq[i, 0] = hq[p, 0]
        hq[i, 1] = hq[p, 1]
        hq[i, 2] = hq[p, 2]
        hq[i, 3] = hq[p, 3]
        i = p
    ht[i] = time
    hq[i, HQ_KEY] = key
    hq[i, HQ_KIND] = kind
    hq[i, HQ_TARGET] = target
    hq[i, HQ_TOKEN] = token
    k[K_HEAP_N] = n + 1
    if n + 1 > k[K_HEAP_SOFT]:
        k[K_SERVICE] = 1


@inlined
def heap_pop(S: Sim) -> tuple[float, int, int, int]:
    """Remove the first event: (time, kind, target, token)."""
    k, ht, hq = S.ei[KERNEL], S.ht, S.hq
    time = ht[0]
    kind = hq[0, HQ_KIND]
    target = hq[0, HQ_TARGET]
    token = hq[0, HQ_TOKEN]
    n = k[K_HEAP_N] - 1
    k[K_HEAP_N] = n
    if n > 0:
        lt = ht[n]
        lk = hq[n, HQ_KEY]
        i = 0
        while True:
            c = 2 * i + 1
            if c >= n:
                break
            if c + 1 < n and (ht[c + 1] < ht[c] or (ht[c + 1] == ht[c]
                                                    and hq[c + 1, HQ_KEY] < hq[c, HQ_KEY])):
                c += 1
            if lt < ht[c] or (lt == ht[c] and lk < hq[c, HQ_KEY]):
                break
            ht[i] = ht[c]
            hq[i, 0] = hq[c, 0]
            hq[i, 1] = hq[c, 1]
            hq[i, 2] = hq[c, 2]
            hq[i, 3] = hq[c, 3]
            i = c
        ht[i] = lt
        hq[i, 0] = lk
        hq[i, 1] = hq[n, 1]
        hq[i, 2] = hq[n, 2]
        hq[i, 3] = hq[n, 3]
    return float(time), int(kind), int(target), int(token)


# -- same-instant queue (the kernel's ``soon``) ----------------------------------------
@inlined
def soon_push(S: Sim, op: int, actor: int, slot: int) -> None:
    """Queue a wake-up at this instant: entries of (op, actor, slot) in a pool ring."""
    k = S.ei[KERNEL]
    n = k[K_SOON_N]
    size = k[K_SOON_SIZE]
    if n >= size:
        raise CapacityExceeded("same-instant queue")
    pos = k[K_SOON0] + 3 * ((k[K_SOON_HEAD] + n) & (size - 1))
    S.pool[pos] = op
    S.pool[pos + 1] = actor
    S.pool[pos + 2] = slot
    k[K_SOON_N] = n + 1
    if n + 1 > k[K_SOON_SOFT]:
        k[K_SERVICE] = 1
        k[K_SOON_GROW] = 1


@inlined
def soon_pop(S: Sim) -> tuple[int, int, int]:
    k = S.ei[KERNEL]
    head = k[K_SOON_HEAD]
    pos = k[K_SOON0] + 3 * head
    k[K_SOON_HEAD] = (head + 1) & (k[K_SOON_SIZE] - 1)
    k[K_SOON_N] -= 1
    return int(S.pool[pos]), int(S.pool[pos + 1]), int(S.pool[pos + 2])


# -- samplers ------------------------------------------------------------------------
@inlined
def draw(S: Sim, p: int) -> float:
    """The next value of sampler row ``p`` (the Python ``Sampler.__call__``)."""
    ei = S.ei
    if ei[p, P_CONST]:
        return float(S.ef[p, PF_VALUE])
    head = ei[p, P_HEAD]
    fill = ei[p, P_FILL]
    if head >= fill:
        raise CapacityExceeded("sampler")
    value = S.poolf[ei[p, P_OFF] + (head & (ei[p, P_SIZE] - 1))]
    ei[p, P_HEAD] = head + 1
    if fill - head - 1 < ei[p, P_LOW]:
        ei[KERNEL, K_SERVICE] = 1
    return float(value)


# -- items ---------------------------------------------------------------------------
@compiled
def item_new(S: Sim, part: int) -> int:
    """A new part (the model's ``new_part``): the next serial number."""
    k = S.ei[KERNEL]
    n = k[K_FREE_N]
    if n <= 0:
        raise CapacityExceeded("items")
    n -= 1
    k[K_FREE_N] = n
    if n < k[K_FREE_SOFT]:
        k[K_SERVICE] = 1
    row = S.pool[k[K_FREE0] + n]
    serial = k[K_SERIAL] + 1
    k[K_SERIAL] = serial
    it = S.items
    it[row, IT_SERIAL] = serial
    it[row, IT_PART] = part
    it[row, IT_VEHICLE] = -1
    it[row, IT_VARIANT] = -1
    it[row, IT_MODEL] = -1
    it[row, IT_COLOUR] = -1
    it[row, IT_OPTIONS] = 0
    it[row, IT_GOOD] = 1
    it[row, IT_REJECT] = 0
    return int(row)


@inlined
def item_free(S: Sim, row: int) -> None:
    """An item left the plant (dispatched, or joined into another)."""
    k = S.ei[KERNEL]
    n = k[K_FREE_N]
    S.pool[k[K_FREE0] + n] = row
    k[K_FREE_N] = n + 1


# -- record rows ---------------------------------------------------------------------
@inlined
def rec_row(S: Sim, table: int) -> tuple[int, int]:
    """Append a row to a staged record table: (offset of its floats, of its integers)."""
    ei = S.ei
    t = ei[KERNEL, K_TABLE0] + table
    n = ei[t, RS_N]
    if n >= ei[t, RS_CAP]:
        raise CapacityExceeded("records")
    ei[t, RS_N] = n + 1
    if n + 1 > ei[t, RS_CAP] - ei[KERNEL, K_REC_SOFT]:
        ei[KERNEL, K_SERVICE] = 1
    return int(ei[t, RS_FOFF] + n * ei[t, RS_NF]), int(ei[t, RS_IOFF] + n * ei[t, RS_NI])


# -- runtime queues in the pool: columns c0..c0+3 of a row are (offset, size, head, n) ---
@inlined
def ring_push(S: Sim, row: int, c0: int, value: int) -> int:
    """Append ``value`` to the ring; its position in the pool."""
    ei = S.ei
    size = ei[row, c0 + 1]
    n = ei[row, c0 + 3]
    if n >= size:
        raise CapacityExceeded("queue")
    pos = ei[row, c0] + ((ei[row, c0 + 2] + n) & (size - 1))
    S.pool[pos] = value
    ei[row, c0 + 3] = n + 1
    if n + 1 > size - ei[KERNEL, K_RING_MARGIN]:
        ei[KERNEL, K_SERVICE] = 1
    return int(pos)


@inlined
def ring_pop(S: Sim, row: int, c0: int) -> int:
    """Remove the head of the ring; its position in the pool."""
    ei = S.ei
    head = ei[row, c0 + 2]
    pos = ei[row, c0] + head
    ei[row, c0 + 2] = (head + 1) & (ei[row, c0 + 1] - 1)
    ei[row, c0 + 3] -= 1
    return int(pos)


@compiled
def ring_pos(S: Sim, row: int, c0: int, k: int) -> int:
    """Position in the pool of the ``k``-th element of the ring."""
    ei = S.ei
    return int(ei[row, c0] + ((ei[row, c0 + 2] + k) & (ei[row, c0 + 1] - 1)))


@compiled
def list_add(S: Sim, row: int, c0: int, value: int) -> None:
    """Append to a list: columns c0..c0+2 of the row are (offset, capacity, n)."""
    ei = S.ei
    cap = ei[row, c0 + 1]
    n = ei[row, c0 + 2]
    if n >= cap:
        raise CapacityExceeded("waiting list")
    S.pool[ei[row, c0] + n] = value
    ei[row, c0 + 2] = n + 1
    if n + 1 > cap - ei[KERNEL, K_RING_MARGIN]:
        ei[KERNEL, K_SERVICE] = 1
