"""The compiled local search loop: pick a random move, evaluate it incrementally, keep it
when it does not make the weighted total worse and keeps the batch limit.

Moves (chosen by the weights in ``par[P_MOVES:]``):

0. swap two vehicles (near each other or anywhere);
1. swap two vehicles of the same colour (keeps the colour changes);
2. insert one vehicle elsewhere;
3. exchange two adjacent blocks;
4. reverse a block;
5. move a whole colour run next to another run (of the same colour, or anywhere);
6. insert one vehicle next to another of its colour.

Some of the time (``par[P_FOCUS]`` percent) the first vehicle of a move is taken from
a violated window of the heaviest constraints that still have violations. Accepting
equal moves lets the search drift across plateaus. All randomness comes from one
xorshift64 state in ``rng``, so a run is fully determined by its seed and its number of
iterations, however it is cut into calls. When the best has not improved for
``par[P_STALL]`` iterations, a kick of ``par[P_KICK]`` random moves, made whatever they
cost, moves the search elsewhere (the best sequence is kept).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from taktline.plan.sequencing.kernel import (
    C_HI,
    C_LO,
    C_N,
    C_P,
    C_W,
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

__all__ = [
    "MOVE_NAMES", "P_BLOCK", "P_FOCUS", "P_KICK", "P_LOCAL", "P_MOVES", "P_STALL", "P_TARGET",
    "search",
]

P_LOCAL, P_BLOCK, P_TARGET, P_FOCUS, P_STALL, P_KICK, P_MOVES = 6, 7, 8, 9, 10, 11, 12
MOVE_NAMES = ("swap", "colour swap", "insert", "block", "reverse", "run move", "colour insert")
# stats: 0 iterations, 1 accepted, 2 improvements of the best, 3 iterations since the
# last one, 4 kicks, 5.. accepted per move, 5+len(MOVE_NAMES).. tried per move
S_ITER, S_ACC, S_BEST, S_SINCE, S_KICK, S_MOVE = 0, 1, 2, 3, 4, 5


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
def _run_move(
    rng: U64, col: I32, seq: I32, m: int, n: int, i: int
) -> tuple[int, int, int, int]:
    """A ROTATE that moves the colour run holding position i next to another run."""
    e = m + n
    a, b = _run_bounds(col, seq, m, e, i)
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
def _colour_insert(
    rng: U64, col: I32, seq: I32, m: int, n: int, i: int
) -> tuple[int, int, int, int]:
    """A ROTATE that inserts the vehicle at i next to another vehicle of its colour."""
    for _ in range(8):
        t = m + rand_below(rng, n)
        if col[seq[t]] == col[seq[i]] and (t < i - 1 or t > i + 1):
            if t > i:
                t += rand_below(rng, 2) - 1  # just before or just after t
                return (ROTATE, i, i + 1, t + 1) if t > i else (-1, 0, 0, 0)
            t += rand_below(rng, 2)
            return (ROTATE, t, i, i + 1) if t < i else (-1, 0, 0, 0)
    return (-1, 0, 0, 0)


@njit(cache=True)
def _pick_constraint(rng: U64, con: I64, cost: I64) -> int:
    """A random constraint among the heaviest ones that have violations; -1 if none."""
    heaviest = 0
    for j in range(con.shape[0]):
        if cost[4 + j] > 0 and con[j, C_W] > heaviest:
            heaviest = con[j, C_W]
    chosen = -1
    seen = 0
    for j in range(con.shape[0]):
        if cost[4 + j] > 0 and con[j, C_W] == heaviest:
            seen += 1
            if rand_below(rng, seen) == 0:
                chosen = j
    return chosen


@njit(cache=True)
def focus(rng: U64, opt: I32, con: I64, cnt: I32, cost: I64, seq: I32, m: int) -> int:
    """A day-D position inside a violated window (of the heaviest constraints that have
    violations), preferring a vehicle with the option; -1 if nothing is violated."""
    j = _pick_constraint(rng, con, cost)
    if j < 0:
        return -1
    lo = con[j, C_LO]
    width = con[j, C_HI] - lo + 1
    start = rand_below(rng, width)
    for t in range(width):
        s = lo + (start + t) % width
        if cnt[j, s - lo] <= con[j, C_N]:
            continue
        first = max(s, m)
        span = min(s + con[j, C_P] - 1, seq.shape[0] - 1) - first + 1
        if span <= 0:
            continue
        r = rand_below(rng, span)
        for u in range(span):
            p = first + (r + u) % span
            if opt[seq[p], j]:
                return int(p)
        return int(first + r)
    return -1


@njit(cache=True)
def pick_move(
    rng: U64, col: I32, cls: I32, seq: I32, par: I64, total_weight: int, i: int
) -> tuple[int, int, int, int, int]:
    """Draw a move around position ``i``: ``(type, kind, a, b, c)``; kind -1 = none."""
    m = par[P_M]
    n = par[P_N]
    e = m + n
    r = rand_below(rng, total_weight)
    mtype = 0
    while r >= par[P_MOVES + mtype]:
        r -= par[P_MOVES + mtype]
        mtype += 1
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
    if mtype == 5:
        kind, a, b, c = _run_move(rng, col, seq, m, n, i)
        return mtype, kind, a, b, c
    kind, a, b, c = _colour_insert(rng, col, seq, m, n, i)
    return mtype, kind, a, b, c


@njit(cache=True)
def try_move(
    opt: I32, col: I32, con: I64, rem: I64, par: I64, seq: I32, cnt: I32, cost: I64,
    tmp: I32, out: I64, kind: int, a: int, b: int, c: int, force: bool,
) -> bool:
    """Evaluate a move; make it if it does not worsen the total (or if ``force``, with
    ``rem`` large enough to evaluate it fully) and it keeps the batch limit."""
    m = par[P_M]
    dp = colour_delta(col, seq, m, kind, a, b, c)
    base = par[P_WP] * dp
    if not force and base - rem[0] > 0:
        return False
    if kind == SWAP:
        delta = swap_ratio(opt, con, rem, seq, cnt, a, c, base, out)
    else:
        delta = block_ratio(opt, con, rem, seq, cnt, kind, a, b, c, base, out)
    if delta > 0 and not force:
        return False
    same = kind == SWAP and col[seq[a]] == col[seq[c]]
    if par[P_L] < par[P_N] and not same and not batch_ok(col, seq, m, par[P_L], kind, a, b, c):
        return False
    apply_move(opt, con, seq, cnt, tmp, kind, a, b, c)
    cost[1] += out[0]
    cost[2] += dp
    cost[3] += out[1]
    cost[4:] += out[2:]
    cost[0] = par[P_WH] * cost[1] + par[P_WP] * cost[2] + par[P_WL] * cost[3]
    return True


@njit(cache=True)
def kick(
    opt: I32, col: I32, cls: I32, con: I64, par: I64, seq: I32, cnt: I32, cost: I64,
    rng: U64, tmp: I32, out: I64,
) -> None:
    """Perturb a stalled search: ``par[P_KICK]`` random swaps and insertions, made
    whatever they cost (the batch limit still holds)."""
    m = par[P_M]
    n = par[P_N]
    unlimited = np.full(con.shape[0] + 1, REJECT, dtype=np.int64)
    weights = np.zeros(par.shape[0], dtype=np.int64)
    weights[:] = par
    weights[P_MOVES:] = 0
    weights[P_MOVES] = 1  # swap
    weights[P_MOVES + 2] = 1  # insert
    done = 0
    for _ in range(10 * par[P_KICK]):
        if done >= par[P_KICK]:
            break
        i = m + rand_below(rng, n)
        _, kind, a, b, c = pick_move(rng, col, cls, seq, weights, 2, i)
        if kind >= 0 and try_move(opt, col, con, unlimited, par, seq, cnt, cost, tmp, out,
                                  kind, a, b, c, True):
            done += 1


@njit(cache=True)
def search(
    opt: I32, col: I32, cls: I32, con: I64, rem: I64, par: I64, seq: I32, cnt: I32,
    cost: I64, best: I32, bcost: I64, rng: U64, tmp: I32, stats: I64, iters: int,
) -> int:
    """Run ``iters`` iterations; returns how many ran (fewer when the target is hit)."""
    m = par[P_M]
    n = par[P_N]
    nmoves = len(MOVE_NAMES)
    total_weight = 0
    for t in range(nmoves):
        total_weight += par[P_MOVES + t]
    out = np.zeros(2 + con.shape[0], dtype=np.int64)
    for it in range(iters):
        stats[S_ITER] += 1
        stats[S_SINCE] += 1
        if stats[S_SINCE] >= par[P_STALL]:
            kick(opt, col, cls, con, par, seq, cnt, cost, rng, tmp, out)
            stats[S_SINCE] = 0
            stats[S_KICK] += 1
        i = -1
        if rand_below(rng, 100) < par[P_FOCUS]:
            i = focus(rng, opt, con, cnt, cost, seq, m)
        if i < 0:
            i = m + rand_below(rng, n)
        mtype, kind, a, b, c = pick_move(rng, col, cls, seq, par, total_weight, i)
        if kind < 0:
            continue
        stats[S_MOVE + nmoves + mtype] += 1
        if not try_move(opt, col, con, rem, par, seq, cnt, cost, tmp, out, kind, a, b, c,
                        False):
            continue
        stats[S_ACC] += 1
        stats[S_MOVE + mtype] += 1
        if cost[0] < bcost[0]:
            best[:] = seq[m:]
            bcost[:] = cost
            stats[S_BEST] += 1
            stats[S_SINCE] = 0
            if bcost[0] <= par[P_TARGET]:
                return it + 1
    return iters
