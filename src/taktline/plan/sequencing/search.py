"""The compiled local search loop: pick a random move, evaluate it incrementally, keep it
when it does not make the weighted total worse and keeps the batch limit.

Moves (chosen by the weights in ``par[P_MOVES:]``):

0. swap two vehicles (near each other or anywhere);
1. swap two vehicles of the same colour (keeps the colour changes);
2. insert one vehicle elsewhere;
3. exchange two adjacent blocks;
4. reverse a block;
5. move a whole colour run next to another run (of the same colour, or anywhere).

Accepting equal moves lets the search drift across plateaus. All randomness comes from
one xorshift64 state in ``rng``, so a run is fully determined by its seed and its number
of iterations, however it is cut into calls.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from taktline.plan.sequencing.kernel import (
    I32,
    I64,
    P_L,
    P_M,
    P_N,
    P_WH,
    P_WL,
    P_WP,
    REJECT,
    REVERSE,
    ROTATE,
    SWAP,
    U64,
    apply_move,
    batch_ok,
    block_ratio,
    colour_delta,
    swap_ratio,
)

__all__ = ["MOVE_NAMES", "P_BLOCK", "P_LOCAL", "P_MOVES", "P_TARGET", "search"]

P_LOCAL, P_BLOCK, P_TARGET, P_MOVES = 6, 7, 8, 9
MOVE_NAMES = ("swap", "colour swap", "insert", "block", "reverse", "run move")
# stats: 0 iterations, 1 accepted, 2 improvements of the best, 3.. accepted per move,
# 3+len(MOVE_NAMES).. tried per move
S_ITER, S_ACC, S_BEST, S_MOVE = 0, 1, 2, 3


@njit(cache=True, inline="always")
def rand_below(rng: U64, k: int) -> int:
    """Uniform integer in ``0 .. k-1`` (xorshift64)."""
    x = rng[0]
    x ^= x << np.uint64(13)
    x ^= x >> np.uint64(7)
    x ^= x << np.uint64(17)
    rng[0] = x
    return int(np.int64(x >> np.uint64(33)) % k)


@njit(cache=True, inline="always")
def _partner(rng: U64, m: int, n: int, i: int, local: int) -> int:
    """A second position != i: near i half of the time, anywhere otherwise."""
    if rand_below(rng, 2) == 0:
        j = i + 1 + rand_below(rng, local)
        if rand_below(rng, 2) == 0:
            j = i - 1 - rand_below(rng, local)
        return min(max(j, m), m + n - 1)
    return m + rand_below(rng, n)


@njit(cache=True, inline="always")
def _run_bounds(col: I32, seq: I32, m: int, e: int, p: int) -> tuple[int, int]:
    colour = col[seq[p]]
    a = p
    while a > m and col[seq[a - 1]] == colour:
        a -= 1
    b = p + 1
    while b < e and col[seq[b]] == colour:
        b += 1
    return a, b


@njit(cache=True)
def _run_move(rng: U64, col: I32, seq: I32, m: int, n: int) -> tuple[int, int, int, int]:
    """A ROTATE that moves the colour run holding a random vehicle next to another run."""
    e = m + n
    a, b = _run_bounds(col, seq, m, e, m + rand_below(rng, n))
    t = m + rand_below(rng, n)
    if rand_below(rng, 2) == 0:
        for _ in range(8):
            if col[seq[t]] == col[seq[a]] and (t < a or t >= b):
                break
            t = m + rand_below(rng, n)
    ta, tb = _run_bounds(col, seq, m, e, t)
    if tb <= a:
        dest = ta if rand_below(rng, 2) == 0 else tb
        return (ROTATE, dest, a, b) if dest < a else (-1, 0, 0, 0)
    if ta >= b:
        dest = tb if rand_below(rng, 2) == 0 else ta
        return (ROTATE, a, b, dest) if dest > b else (-1, 0, 0, 0)
    return (-1, 0, 0, 0)


@njit(cache=True)
def pick_move(
    rng: U64, col: I32, cls: I32, seq: I32, par: I64, total_weight: int
) -> tuple[int, int, int, int, int]:
    """Draw a move: ``(type, kind, a, b, c)``; kind -1 = nothing to do."""
    m = par[P_M]
    n = par[P_N]
    e = m + n
    r = rand_below(rng, total_weight)
    mtype = 0
    while r >= par[P_MOVES + mtype]:
        r -= par[P_MOVES + mtype]
        mtype += 1
    i = m + rand_below(rng, n)
    if mtype <= 1:
        j = _partner(rng, m, n, i, par[P_LOCAL])
        if mtype == 1:
            for _ in range(8):
                if col[seq[j]] == col[seq[i]] and cls[seq[j]] != cls[seq[i]]:
                    break
                j = _partner(rng, m, n, i, par[P_LOCAL])
        if i == j or cls[seq[i]] == cls[seq[j]]:
            return mtype, -1, 0, 0, 0
        return mtype, SWAP, min(i, j), 0, max(i, j)
    if mtype == 2:
        j = _partner(rng, m, n, i, par[P_LOCAL])
        if i < j:
            return mtype, ROTATE, i, i + 1, j + 1
        if j < i:
            return mtype, ROTATE, j, i, i + 1
        return mtype, -1, 0, 0, 0
    if mtype == 3:
        b = i + 1 + rand_below(rng, par[P_BLOCK])
        c = b + 1 + rand_below(rng, par[P_BLOCK])
        if c > e:
            return mtype, -1, 0, 0, 0
        return mtype, ROTATE, i, b, c
    if mtype == 4:
        c = i + 2 + rand_below(rng, par[P_BLOCK])
        if c > e:
            return mtype, -1, 0, 0, 0
        return mtype, REVERSE, i, 0, c
    kind, a, b, c = _run_move(rng, col, seq, m, n)
    return mtype, kind, a, b, c


@njit(cache=True)
def search(
    opt: I32, col: I32, cls: I32, con: I64, rem: I64, par: I64, seq: I32, cnt: I32,
    cost: I64, best: I32, bcost: I64, rng: U64, tmp: I32, stats: I64, iters: int,
) -> int:
    """Run ``iters`` iterations; returns how many ran (fewer when the target is hit)."""
    m = par[P_M]
    n = par[P_N]
    limit = par[P_L]
    check_batch = limit < n
    nmoves = len(MOVE_NAMES)
    total_weight = 0
    for t in range(nmoves):
        total_weight += par[P_MOVES + t]
    out = np.zeros(2, dtype=np.int64)
    for it in range(iters):
        stats[S_ITER] += 1
        mtype, kind, a, b, c = pick_move(rng, col, cls, seq, par, total_weight)
        if kind < 0:
            continue
        stats[S_MOVE + nmoves + mtype] += 1
        dp = colour_delta(col, seq, m, kind, a, b, c)
        base = par[P_WP] * dp
        if base - rem[0] > 0:
            continue
        if kind == SWAP:
            delta = swap_ratio(opt, con, rem, seq, cnt, a, c, base, out)
        else:
            delta = block_ratio(opt, con, rem, seq, cnt, kind, a, b, c, base, out)
        if delta > 0 or delta == REJECT:
            continue
        same = kind == SWAP and col[seq[a]] == col[seq[c]]
        if check_batch and not same and not batch_ok(col, seq, m, limit, kind, a, b, c):
            continue
        apply_move(opt, con, seq, cnt, tmp, kind, a, b, c)
        cost[1] += out[0]
        cost[2] += dp
        cost[3] += out[1]
        cost[0] = par[P_WH] * cost[1] + par[P_WP] * cost[2] + par[P_WL] * cost[3]
        stats[S_ACC] += 1
        stats[S_MOVE + mtype] += 1
        if cost[0] < bcost[0]:
            best[:] = seq[m:]
            bcost[:] = cost
            stats[S_BEST] += 1
            if bcost[0] <= par[P_TARGET]:
                return it + 1
    return iters
