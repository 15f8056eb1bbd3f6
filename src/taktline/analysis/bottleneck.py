"""Bottleneck detection by the active period method.

Sources: C. Roser, M. Nakano, M. Tanaka, "A practical bottleneck detection method",
Proc. 2001 Winter Simulation Conference, 949-953 (average bottleneck: the station with
the longest mean active period), and "Shifting bottleneck detection", Proc. 2002 WSC,
1079-1086 (momentary bottleneck: at time t, the station whose ongoing active period is
the longest over its full extent; the whole active period of a momentary bottleneck is
a bottleneck period; where it overlaps the bottleneck period before or after it, both
stations are *shifting* bottlenecks, elsewhere it is the *sole* bottleneck).

Active states are working, setup and failed; starved and blocked are inactive. Shares
are fractions of the window; a station's sole and shifting shares together rank it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit
from numpy.typing import NDArray

from taktline.analysis.states import Window

__all__ = ["BottleneckShare", "bottleneck_periods", "shifting_bottleneck"]


@dataclass(frozen=True, slots=True)
class BottleneckShare:
    """How much of the window a station was the sole or a shifting bottleneck."""

    station: str
    sole_share: float
    shifting_share: float
    mean_active_s: float

    @property
    def total_share(self) -> float:
        return self.sole_share + self.shifting_share


def bottleneck_periods(
    starts: NDArray[np.float64], ends: NDArray[np.float64], owner: NDArray[np.int64]
) -> list[int]:
    """Indices of the active periods that are momentary bottlenecks, in time order.

    Sweep over period starts and ends; between two consecutive instants the momentary
    bottleneck is the ongoing period of longest full duration (ties: lower station
    index, then earlier start)."""
    n = len(starts)
    if n == 0:
        return []
    # rank 0 = the period that wins any comparison: longest, then lowest station, earliest
    rank = np.empty(n, dtype=np.int64)
    rank[np.lexsort((starts, owner, -(ends - starts)))] = np.arange(n)
    by_start = np.argsort(starts, kind="stable")
    events = np.unique(np.concatenate((starts, ends)))
    chain = _sweep(starts, ends, rank, by_start, events)
    return [int(p) for p in chain]


@njit(cache=True)
def _sweep(
    starts: NDArray[np.float64],
    ends: NDArray[np.float64],
    rank: NDArray[np.int64],
    by_start: NDArray[np.int64],
    events: NDArray[np.float64],
) -> NDArray[np.int64]:
    n = len(starts)
    period_of_rank = np.empty(n, dtype=np.int64)
    period_of_rank[rank] = np.arange(n)
    heap = np.empty(n, dtype=np.int64)  # binary min-heap of ranks
    size = 0
    chain = np.empty(2 * n + 1, dtype=np.int64)
    length = 0
    nxt = 0
    for t in events:
        while nxt < n and starts[by_start[nxt]] <= t:
            size = _push(heap, size, rank[by_start[nxt]])
            nxt += 1
        while size > 0 and ends[period_of_rank[heap[0]]] <= t:
            size = _pop(heap, size)
        if size > 0:
            p = period_of_rank[heap[0]]
            if length == 0 or chain[length - 1] != p:
                chain[length] = p
                length += 1
    return chain[:length]


@njit(cache=True)
def _push(heap: NDArray[np.int64], size: int, value: int) -> int:
    i = size
    heap[i] = value
    while i > 0:
        parent = (i - 1) // 2
        if heap[parent] <= heap[i]:
            break
        heap[parent], heap[i] = heap[i], heap[parent]
        i = parent
    return size + 1


@njit(cache=True)
def _pop(heap: NDArray[np.int64], size: int) -> int:
    size -= 1
    heap[0] = heap[size]
    i = 0
    while True:
        left, smallest = 2 * i + 1, i
        if left < size and heap[left] < heap[smallest]:
            smallest = left
        if left + 1 < size and heap[left + 1] < heap[smallest]:
            smallest = left + 1
        if smallest == i:
            return size
        heap[i], heap[smallest] = heap[smallest], heap[i]
        i = smallest


def _overlap(a0: float, a1: float, b0: float, b1: float) -> tuple[float, float]:
    return max(a0, b0), min(a1, b1)


def shifting_bottleneck(
    periods: list[tuple[NDArray[np.float64], NDArray[np.float64]]],
    names: list[str],
    window: Window,
) -> list[BottleneckShare]:
    """Sole and shifting bottleneck shares of every station, largest total first.

    ``periods[i]`` holds the (starts, ends) of station i's active periods over the
    whole run (periods crossing the window edges keep their full duration for the
    ranking; only the parts inside the window count towards the shares)."""
    starts = np.concatenate([p[0] for p in periods]) if periods else np.empty(0)
    ends = np.concatenate([p[1] for p in periods]) if periods else np.empty(0)
    owner = (
        np.concatenate([np.full(len(p[0]), i, dtype=np.int64) for i, p in enumerate(periods)])
        if periods
        else np.empty(0, dtype=np.int64)
    )
    chain = bottleneck_periods(starts, ends, owner)
    sole = np.zeros(len(names))
    shift = np.zeros(len(names))
    w0, w1 = window.start, window.end
    for j, p in enumerate(chain):
        s, e = max(starts[p], w0), min(ends[p], w1)
        if e <= s:
            continue
        covered: list[tuple[float, float]] = []
        for q in (chain[j - 1] if j > 0 else -1, chain[j + 1] if j + 1 < len(chain) else -1):
            if q >= 0:
                o0, o1 = _overlap(s, e, float(starts[q]), float(ends[q]))
                if o1 > o0:
                    covered.append((o0, o1))
        shifted = _union_length(covered)
        shift[owner[p]] += shifted
        sole[owner[p]] += (e - s) - shifted
    length = window.length if window.length > 0 else 1.0
    out = []
    for i, name in enumerate(names):
        d = periods[i][1] - periods[i][0] if i < len(periods) else np.empty(0)
        out.append(
            BottleneckShare(
                name,
                float(sole[i] / length),
                float(shift[i] / length),
                float(d.mean()) if len(d) else 0.0,
            )
        )
    out.sort(key=lambda b: (-b.total_share, -b.mean_active_s, b.station))
    return out


def _union_length(intervals: list[tuple[float, float]]) -> float:
    total, end = 0.0, -np.inf
    for a, b in sorted(intervals):
        if b <= end:
            continue
        total += b - max(a, end)
        end = b
    return float(total)
