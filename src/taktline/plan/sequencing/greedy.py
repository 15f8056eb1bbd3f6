"""Greedy construction: fill the line position by position with the cheapest vehicle.

At each position the candidates are the classes of vehicles still to place (a class =
one colour and one set of ratio constraints). A candidate's cost is what it adds at
once: the weight of a colour change, plus the weight of each ratio constraint whose
window ending here would hold one vehicle too many. Ties go to the hardest class - the
one whose options are most in demand relative to the capacity still left - so that
scarce slots are not wasted. A candidate is allowed only if the vehicles left can still
be placed within the paint batch limit (each colour ``c`` with ``r`` vehicles left needs
``c <= L * (r_others + 1)``, less what the current run has used).
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray

from taktline.plan.sequencing.kernel import C_N, C_P, C_W, I32, I64, P_L, P_M, P_N, P_WP

__all__ = ["class_table", "greedy_order"]


def class_table(
    colours: NDArray[np.int32], options: NDArray[np.uint8]
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Vehicle classes: ``(class of each vehicle, members sorted by class, class starts)``."""
    keys = np.concatenate([colours[:, None].astype(np.int64), options.astype(np.int64)], axis=1)
    _, cls = np.unique(keys, axis=0, return_inverse=True)
    cls = cls.reshape(-1).astype(np.int64)
    members = np.argsort(cls, kind="stable").astype(np.int64)
    starts = np.searchsorted(cls[members], np.arange(cls.max(initial=-1) + 2)).astype(np.int64)
    return cls, members, starts


@njit(cache=True)
def _can_place(left_col: I64, remaining: int, colour: int, run: int, limit: int) -> bool:
    """True if, after placing a vehicle of ``colour`` making a run of ``run``, the
    ``remaining`` vehicles (``left_col`` per colour, already reduced) still fit."""
    for y in range(left_col.shape[0]):
        c = left_col[y]
        if c == 0:
            continue
        first = limit - run if y == colour else limit
        if c > first + limit * (remaining - c):
            return False
    return True


@njit(cache=True)
def _class_cost(
    opt_row: I64, colour: int, prev: int, con: I64, cum: I64, p: int, wp: int
) -> int:
    cost = wp if prev >= 0 and colour != prev else 0
    for j in range(con.shape[0]):
        if opt_row[j]:
            held = cum[p, j] - cum[max(p - con[j, C_P] + 1, 0), j]
            if held >= con[j, C_N]:
                cost += con[j, C_W]
    return cost


@njit(cache=True)
def _difficulty(opt_row: I64, demand: I64, con: I64, remaining: int) -> float:
    d = 0.0
    for j in range(con.shape[0]):
        if opt_row[j]:
            cap = con[j, C_N] * remaining / con[j, C_P]
            d += demand[j] / cap if cap > 0 else 1e9
    return d


@njit(cache=True)
def greedy_order(
    opt: I32, col: I32, con: I64, par: I64, cls_opt: I64, cls_col: I64, members: I64,
    starts: I64, seq: I32,
) -> bool:
    """Fill ``seq[m:]`` (``seq[:m]`` holds day D-1); returns False if stuck."""
    m = par[P_M]
    e = m + par[P_N]
    limit = par[P_L]
    nk = con.shape[0]
    ncls = cls_col.shape[0]
    cum = np.zeros((e + 1, nk), dtype=np.int64)
    for p in range(m):
        for j in range(nk):
            cum[p + 1, j] = cum[p, j] + opt[seq[p], j]
    left = starts[1:] - starts[:-1]
    taken = np.zeros(ncls, dtype=np.int64)
    demand = np.zeros(nk, dtype=np.int64)
    left_col = np.zeros(col.max() + 1, dtype=np.int64)
    for c in range(ncls):
        left_col[cls_col[c]] += left[c]
        for j in range(nk):
            demand[j] += left[c] * cls_opt[c, j]
    run_col = -1
    run = 0
    for p in range(m, e):
        remaining = e - p
        prev = col[seq[p - 1]] if p >= 1 else -1
        best = -1
        best_cost = 0
        best_diff = 0.0
        for c in range(ncls):
            if left[c] == 0:
                continue
            x = cls_col[c]
            new_run = run + 1 if x == run_col else 1
            if new_run > limit:
                continue
            left_col[x] -= 1
            ok = _can_place(left_col, remaining - 1, x, new_run, limit)
            left_col[x] += 1
            if not ok:
                continue
            cost = _class_cost(cls_opt[c], x, prev, con, cum, p, par[P_WP])
            diff = _difficulty(cls_opt[c], demand, con, remaining)
            if best < 0 or cost < best_cost or (cost == best_cost and diff > best_diff):
                best, best_cost, best_diff = c, cost, diff
        if best < 0:
            return False
        seq[p] = members[starts[best] + taken[best]]
        taken[best] += 1
        left[best] -= 1
        x = cls_col[best]
        left_col[x] -= 1
        run = run + 1 if x == run_col else 1
        run_col = x
        for j in range(nk):
            demand[j] -= cls_opt[best, j]
            cum[p + 1, j] = cum[p, j] + cls_opt[best, j]
    return True
