"""The compiled core of the local search: incremental (delta) evaluation of moves.

All functions here are numba-compiled and work on plain arrays (see
:mod:`taktline.plan.sequencing.search` for how they are built). Positions are in
"line" coordinates: ``0 .. m-1`` are the fixed day D-1 vehicles, ``m .. m+n-1`` day D.
``seq[p]`` is the vehicle at position ``p``; day D-1 vehicle ``i`` has id ``n + i``.

Three move kinds change a range of positions:

* ``SWAP (a, c)``: exchange the vehicles at ``a`` and ``c``.
* ``ROTATE (a, b, c)``: exchange the adjacent blocks ``[a, b)`` and ``[b, c)`` - an
  insertion when one block holds one vehicle, a block move otherwise.
* ``REVERSE (a, c)``: mirror the block ``[a, c)``.

A ratio window that lies inside one moved block keeps its count (the block is only
translated or mirrored), so a move changes the violations of the windows that cross a
block boundary only: O(P) windows per constraint, whatever the length of the blocks.
``cnt[j, s - lo_j]`` holds the count of the window of constraint ``j`` starting at ``s``.

Constraint table ``con[j]`` = ``(N, P, lo, hi, weight, high)``; ``rem[j]`` bounds what
constraints ``j ..`` can still gain, so a move is dropped as soon as it cannot be
accepted. ``par`` = ``(m, n, L, w_hprc, w_pcc, w_lprc, ...)``.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray

I32 = NDArray[np.int32]
I64 = NDArray[np.int64]
U64 = NDArray[np.uint64]

SWAP, ROTATE, REVERSE = 0, 1, 2
REJECT = 1 << 62

# columns of the constraint table
C_N, C_P, C_LO, C_HI, C_W, C_HIGH = 0, 1, 2, 3, 4, 5
# entries of the parameter vector
P_M, P_N, P_L, P_WH, P_WP, P_WL = 0, 1, 2, 3, 4, 5


@njit(cache=True, inline="always")
def src(p: int, kind: int, a: int, b: int, c: int) -> int:
    """The old position of the vehicle that the move puts at position ``p``."""
    if kind == SWAP:
        if p == a:
            return c
        if p == c:
            return a
        return p
    if p < a or p >= c:
        return p
    if kind == ROTATE:
        l2 = c - b
        if p < a + l2:
            return b + (p - a)
        return a + (p - a - l2)
    return a + c - 1 - p


@njit(cache=True, inline="always")
def over(count: int, limit: int) -> int:
    """Violations of one window."""
    return count - limit if count > limit else 0


@njit(cache=True)
def count_windows(
    opt: I32, seq: I32, con: I64, cnt: I32, j: int, first: int, last: int
) -> None:
    """Recount the windows of constraint ``j`` starting at ``first .. last`` (clipped)."""
    e = seq.shape[0]
    p_len = con[j, C_P]
    lo = con[j, C_LO]
    first = max(first, lo)
    last = min(last, con[j, C_HI])
    if last < first:
        return
    cur = 0
    for p in range(max(first, 0), min(first + p_len - 1, e - 1) + 1):
        cur += opt[seq[p], j]
    cnt[j, first - lo] = cur
    for s in range(first + 1, last + 1):
        if s - 1 >= 0:
            cur -= opt[seq[s - 1], j]
        q = s + p_len - 1
        if q <= e - 1:
            cur += opt[seq[q], j]
        cnt[j, s - lo] = cur


@njit(cache=True)
def full_cost(opt: I32, col: I32, con: I64, par: I64, seq: I32, cnt: I32, cost: I64) -> None:
    """Count every window and the colour changes from scratch into ``cnt`` and ``cost``
    (``cost`` = total, hprc, pcc, lprc, then the violations of each constraint)."""
    m = par[P_M]
    e = seq.shape[0]
    hprc = 0
    lprc = 0
    for j in range(con.shape[0]):
        count_windows(opt, seq, con, cnt, j, con[j, C_LO], con[j, C_HI])
        v = 0
        for s in range(con[j, C_LO], con[j, C_HI] + 1):
            v += over(cnt[j, s - con[j, C_LO]], con[j, C_N])
        cost[4 + j] = v
        if con[j, C_HIGH]:
            hprc += v
        else:
            lprc += v
    pcc = 0
    for p in range(max(m, 1), e):
        if col[seq[p]] != col[seq[p - 1]]:
            pcc += 1
    cost[1] = hprc
    cost[2] = pcc
    cost[3] = lprc
    cost[0] = par[P_WH] * hprc + par[P_WP] * pcc + par[P_WL] * lprc


@njit(cache=True)
def swap_ratio(
    opt: I32, con: I64, rem: I64, seq: I32, cnt: I32, a: int, c: int, base: int, out: I64
) -> int:
    """Ratio deltas of swapping positions ``a < c``; ``base`` is the weighted delta so
    far. Writes the hprc delta, the lprc delta and the delta of each constraint to
    ``out``; returns the weighted total or REJECT as soon as the move cannot end <= 0."""
    x = seq[a]
    y = seq[c]
    total = base
    dh = 0
    dl = 0
    for j in range(con.shape[0]):
        d = opt[y, j] - opt[x, j]
        dk = 0
        if d != 0:
            nk = con[j, C_N]
            pk = con[j, C_P]
            lo = con[j, C_LO]
            hi = con[j, C_HI]
            # windows holding a but not c gain d, those holding c but not a lose d
            for s in range(max(a - pk + 1, lo), min(a, hi, c - pk) + 1):
                v = cnt[j, s - lo]
                dk += over(v + d, nk) - over(v, nk)
            for s in range(max(c - pk + 1, lo, a + 1), min(c, hi) + 1):
                v = cnt[j, s - lo]
                dk += over(v - d, nk) - over(v, nk)
            if con[j, C_HIGH]:
                dh += dk
            else:
                dl += dk
            total += con[j, C_W] * dk
        out[2 + j] = dk
        if total - rem[j + 1] > 0:
            return REJECT
    out[0] = dh
    out[1] = dl
    return total


@njit(cache=True, inline="always")
def _old_sum(con: I64, cnt: I32, j: int, x0: int, x1: int, x2: int) -> int:
    """Violations of the windows of constraint ``j`` that cross boundary x0, x1 or x2
    (sorted; x2 < 0 = unused) in the current sequence."""
    nk = con[j, C_N]
    pk = con[j, C_P]
    lo = con[j, C_LO]
    hi = con[j, C_HI]
    done = lo - 1
    total = 0
    for x in (x0, x1, x2):
        if x < 0:
            continue
        for s in range(max(x - pk + 1, lo, done + 1), min(x - 1, hi) + 1):
            total += over(cnt[j, s - lo], nk)
        done = max(done, min(x - 1, hi))
    return total


@njit(cache=True, inline="always")
def _new_sum(
    opt: I32, con: I64, seq: I32, j: int, x0: int, x1: int, x2: int, kind: int, a: int, b: int,
    c: int,
) -> int:
    """Violations of the windows crossing x0, x1, x2 in the sequence after the move."""
    e = seq.shape[0]
    nk = con[j, C_N]
    pk = con[j, C_P]
    lo = con[j, C_LO]
    hi = con[j, C_HI]
    done = lo - 1
    total = 0
    for x in (x0, x1, x2):
        if x < 0:
            continue
        first = max(x - pk + 1, lo, done + 1)
        last = min(x - 1, hi)
        if last >= first:
            cur = 0
            for p in range(max(first, 0), min(first + pk - 1, e - 1) + 1):
                cur += opt[seq[src(p, kind, a, b, c)], j]
            total += over(cur, nk)
            for s in range(first + 1, last + 1):
                if s - 1 >= 0:
                    cur -= opt[seq[src(s - 1, kind, a, b, c)], j]
                q = s + pk - 1
                if q <= e - 1:
                    cur += opt[seq[src(q, kind, a, b, c)], j]
                total += over(cur, nk)
        done = max(done, last)
    return total


@njit(cache=True)
def block_ratio(
    opt: I32, con: I64, rem: I64, seq: I32, cnt: I32, kind: int, a: int, b: int, c: int,
    base: int, out: I64,
) -> int:
    """Ratio deltas of a ROTATE or REVERSE move (see :func:`swap_ratio`)."""
    if kind == ROTATE:
        o0, o1, o2 = a, b, c
        n0, n1, n2 = a, a + c - b, c
    else:
        o0, o1, o2 = a, c, -1
        n0, n1, n2 = a, c, -1
    total = base
    dh = 0
    dl = 0
    for j in range(con.shape[0]):
        dk = _new_sum(opt, con, seq, j, n0, n1, n2, kind, a, b, c) - _old_sum(
            con, cnt, j, o0, o1, o2
        )
        if con[j, C_HIGH]:
            dh += dk
        else:
            dl += dk
        total += con[j, C_W] * dk
        out[2 + j] = dk
        if total - rem[j + 1] > 0:
            return REJECT
    out[0] = dh
    out[1] = dl
    return total


@njit(cache=True, inline="always")
def _change(
    col: I32, seq: I32, m: int, p: int, kind: int, a: int, b: int, c: int, moved: bool
) -> int:
    """1 if the colour changes between positions p-1 and p (old or moved sequence)."""
    if p < m or p < 1 or p >= seq.shape[0]:
        return 0
    if moved:
        return 1 if col[seq[src(p, kind, a, b, c)]] != col[seq[src(p - 1, kind, a, b, c)]] else 0
    return 1 if col[seq[p]] != col[seq[p - 1]] else 0


@njit(cache=True)
def colour_delta(col: I32, seq: I32, m: int, kind: int, a: int, b: int, c: int) -> int:
    """Change in the number of colour changes made by the move."""
    if kind == SWAP:
        d = 0
        for p in (a, a + 1, c, c + 1):
            if p == c and c == a + 1:
                continue
            d += _change(col, seq, m, p, kind, a, b, c, True)
            d -= _change(col, seq, m, p, kind, a, b, c, False)
        return d
    if kind == ROTATE:
        d = 0
        for p in (a, a + c - b, c):
            d += _change(col, seq, m, p, kind, a, b, c, True)
        for p in (a, b, c):
            d -= _change(col, seq, m, p, kind, a, b, c, False)
        return d
    d = 0
    for p in (a, c):
        d += _change(col, seq, m, p, kind, a, b, c, True)
        d -= _change(col, seq, m, p, kind, a, b, c, False)
    return d


@njit(cache=True, inline="always")
def _run_ok(
    col: I32, seq: I32, m: int, limit: int, x: int, kind: int, a: int, b: int, c: int
) -> bool:
    """True if the same-colour run through position x (after the move) is <= limit."""
    e = seq.shape[0]
    if x < m or x >= e:
        return True
    colour = col[seq[src(x, kind, a, b, c)]]
    length = 1
    p = x - 1
    while p >= m and col[seq[src(p, kind, a, b, c)]] == colour:
        length += 1
        if length > limit:
            return False
        p -= 1
    p = x + 1
    while p < e and col[seq[src(p, kind, a, b, c)]] == colour:
        length += 1
        if length > limit:
            return False
        p += 1
    return True


@njit(cache=True)
def batch_ok(
    col: I32, seq: I32, m: int, limit: int, kind: int, a: int, b: int, c: int
) -> bool:
    """True if the move keeps every day-D colour run within the batch limit."""
    if kind == SWAP:
        return _run_ok(col, seq, m, limit, a, kind, a, b, c) and _run_ok(
            col, seq, m, limit, c, kind, a, b, c
        )
    if kind == ROTATE:
        return (
            _run_ok(col, seq, m, limit, a, kind, a, b, c)
            and _run_ok(col, seq, m, limit, a + c - b, kind, a, b, c)
            and _run_ok(col, seq, m, limit, c, kind, a, b, c)
        )
    return _run_ok(col, seq, m, limit, a, kind, a, b, c) and _run_ok(
        col, seq, m, limit, c, kind, a, b, c
    )


@njit(cache=True)
def apply_move(
    opt: I32, con: I64, seq: I32, cnt: I32, tmp: I32, kind: int, a: int, b: int, c: int
) -> None:
    """Make the move on ``seq`` and bring the window counts up to date."""
    if kind == SWAP:
        x = seq[a]
        y = seq[c]
        seq[a] = y
        seq[c] = x
        for j in range(con.shape[0]):
            d = opt[y, j] - opt[x, j]
            if d != 0:
                pk = con[j, C_P]
                lo = con[j, C_LO]
                hi = con[j, C_HI]
                for s in range(max(a - pk + 1, lo), min(a, hi, c - pk) + 1):
                    cnt[j, s - lo] += d
                for s in range(max(c - pk + 1, lo, a + 1), min(c, hi) + 1):
                    cnt[j, s - lo] -= d
        return
    for p in range(a, c):
        tmp[p] = seq[src(p, kind, a, b, c)]
    for p in range(a, c):
        seq[p] = tmp[p]
    for j in range(con.shape[0]):
        count_windows(opt, seq, con, cnt, j, a - con[j, C_P] + 1, c - 1)
