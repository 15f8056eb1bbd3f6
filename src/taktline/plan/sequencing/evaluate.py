"""The exact evaluator: scores any sequence of a :class:`SequenceProblem`.

Written for clarity, not speed, and independent of the solver's incremental kernel, so
that it can re-check every result the solver returns. The rules (ROADEF 2005, as read in
``docs/sequencing.md``):

* **PCC**: positions ``i = 0 .. n-1`` of day D whose colour differs from the vehicle
  before it; the vehicle before the first is the last one of day D-1 (none for
  problems without day D-1). Changes inside day D-1 do not count.
* **Ratio violations** of a constraint N/P: over the windows of
  :meth:`SequenceProblem.window_starts` (clipped to the sequence of day D-1 then day
  D), each window adds ``max(0, vehicles with the option in it - N)``. HPRC sums the
  high-priority constraints, LPRC the low-priority ones.
* **Total** = 10**6 f(rank 1) + 10**3 f(rank 2) + f(rank 3).
* **Batch limit** (hard): no run of more than L same-colour vehicles *within day D*;
  a run does not continue from day D-1 into day D (unconfirmed choice 1).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
from numpy.typing import NDArray

from taktline.errors import SequenceError
from taktline.plan.sequencing.problem import SequenceProblem

__all__ = ["Score", "check_order", "evaluate", "longest_run", "paint_changes", "ratio_violations"]


@dataclass(frozen=True, slots=True)
class Score:
    """The score of one sequence: the three objectives, the weighted total and whether
    the hard paint batch limit holds."""

    hprc: int
    pcc: int
    lprc: int
    total: int
    longest_run: int
    batch_limit: int | None
    violations: tuple[int, ...] = ()
    """Violations per ratio constraint, in the problem's order."""

    @property
    def feasible(self) -> bool:
        """True when no run of one colour exceeds the paint batch limit."""
        return self.batch_limit is None or self.longest_run <= self.batch_limit

    def to_dict(self) -> dict[str, object]:
        """Plain values for JSON."""
        d = asdict(self)
        d["violations"] = list(self.violations)
        d["feasible"] = self.feasible
        return d


def check_order(
    problem: SequenceProblem, order: Sequence[int] | NDArray[np.integer]
) -> NDArray[np.int64]:
    """``order`` as an int64 array; raises :class:`SequenceError` unless it is a
    permutation of the day-D vehicles ``0 .. n-1``."""
    arr = np.asarray(order, dtype=np.int64).reshape(-1)
    n = problem.n
    if len(arr) != n:
        raise SequenceError(f"{problem.name}: a sequence must hold all {n} vehicles "
                            f"(got {len(arr)})")
    if n and (arr.min() < 0 or arr.max() >= n):
        raise SequenceError(f"{problem.name}: vehicle index out of range 0..{n - 1}")
    seen = np.bincount(arr, minlength=n)
    if n and seen.max() > 1:
        twice = int(np.flatnonzero(seen > 1)[0])
        raise SequenceError(f"{problem.name}: vehicle {twice + 1} appears twice")
    return arr


def ratio_violations(problem: SequenceProblem, order: NDArray[np.int64]) -> NDArray[np.int64]:
    """Violations of each ratio constraint (one entry per constraint)."""
    m, n, k = problem.m, problem.n, problem.k
    assert problem.prefix_options is not None
    rows = np.concatenate([problem.prefix_options, problem.options[order]], axis=0)
    cum = np.zeros((m + n + 1, k), dtype=np.int64)
    np.cumsum(rows, axis=0, out=cum[1:])
    out = np.zeros(k, dtype=np.int64)
    for j in range(k):
        lo, hi = problem.window_starts(j)
        if hi < lo:
            continue
        starts = np.arange(lo, hi + 1)
        first = np.clip(starts, 0, m + n)
        stop = np.clip(starts + int(problem.ratio_window[j]), 0, m + n)
        counts = cum[stop, j] - cum[first, j]
        out[j] = np.maximum(counts - int(problem.ratio_max[j]), 0).sum()
    return out


def paint_changes(problem: SequenceProblem, order: NDArray[np.int64]) -> int:
    """Colour changes from the last day D-1 vehicle through the end of day D."""
    seq = problem.colours[order]
    if len(seq) == 0:
        return 0
    changes = int(np.count_nonzero(seq[1:] != seq[:-1]))
    if problem.m and seq[0] != problem.prefix_colours[-1]:
        changes += 1
    return changes


def longest_run(problem: SequenceProblem, order: NDArray[np.int64]) -> int:
    """Length of the longest same-colour run within day D (day D-1 not included)."""
    seq = problem.colours[order]
    if len(seq) == 0:
        return 0
    breaks = np.flatnonzero(seq[1:] != seq[:-1]) + 1
    bounds = np.concatenate([[0], breaks, [len(seq)]])
    return int(np.diff(bounds).max())


def evaluate(problem: SequenceProblem, order: Sequence[int] | NDArray[np.integer]) -> Score:
    """Score ``order`` (day-D vehicle indices in build order, 0 = first in the file)."""
    arr = check_order(problem, order)
    viol = ratio_violations(problem, arr)
    hprc = int(viol[problem.high_priority].sum())
    lprc = int(viol[~problem.high_priority].sum())
    pcc = paint_changes(problem, arr)
    w_h, w_p, w_l = problem.weights
    return Score(
        hprc=hprc,
        pcc=pcc,
        lprc=lprc,
        total=w_h * hprc + w_p * pcc + w_l * lprc,
        longest_run=longest_run(problem, arr),
        batch_limit=problem.batch_limit,
        violations=tuple(int(v) for v in viol),
    )
