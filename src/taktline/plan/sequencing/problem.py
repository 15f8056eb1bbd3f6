"""The order sequencing problem: one typed object for ROADEF 2005, CSPLib and plant orders.

A problem holds the day-D vehicles to sequence (their paint colours and the 0/1 matrix
of the ratio constraints they are subject to), the ratio constraints themselves (at most
``N`` of any ``P`` consecutive vehicles, high or low priority), the fixed vehicles of day
D-1 that precede day D, the hard paint batch limit and the order of the objectives.
Vehicles are keyed by position in the instance (0 = the first day-D vehicle of the file),
never by identifier, because ROADEF identifiers are not always unique.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from taktline.errors import InfeasibleError

__all__ = [
    "WEIGHTS",
    "Objective",
    "SequenceProblem",
    "WindowRule",
    "check_batch_feasible",
]


class Objective(StrEnum):
    """The three parts of the ROADEF 2005 objective."""

    HPRC = "hprc"
    """Violations of high-priority ratio constraints."""
    PCC = "pcc"
    """Paint colour changes."""
    LPRC = "lprc"
    """Violations of low-priority ratio constraints."""


WEIGHTS = (1_000_000, 1_000, 1)
"""Weight of the objective of rank 1, 2 and 3 (ROADEF 2005)."""

WindowRule = Literal["roadef", "full"]
"""Which windows a ratio constraint is judged on: ``roadef`` = every window of P
positions that holds a day-D vehicle, clipped to the sequence (the straddling windows
with day D-1, the full ones and the truncated ones at the end); ``full`` = only the full
windows (CSPLib)."""


def _frozen(a: NDArray[np.generic]) -> NDArray[np.generic]:
    a = np.ascontiguousarray(a)
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class SequenceProblem:
    """A car sequencing instance.

    ``colours[i]`` is the colour index of day-D vehicle ``i`` (into ``colour_names``);
    ``options[i, j]`` is 1 when vehicle ``i`` is subject to ratio constraint ``j``, which
    allows at most ``ratio_max[j]`` such vehicles in any ``ratio_window[j]`` consecutive
    ones and is of high priority when ``high_priority[j]``. ``prefix_colours`` and
    ``prefix_options`` describe the fixed vehicles of day D-1, in build order, just
    before the first day-D vehicle. ``batch_limit`` is the hard paint batch limit (at
    most that many consecutive day-D vehicles of one colour; ``None`` = no limit).
    ``objectives`` lists the objectives from most to least important.
    """

    name: str
    colours: NDArray[np.int32]
    options: NDArray[np.uint8]
    ratio_max: NDArray[np.int32]
    ratio_window: NDArray[np.int32]
    high_priority: NDArray[np.bool_]
    objectives: tuple[Objective, ...]
    batch_limit: int | None = None
    prefix_colours: NDArray[np.int32] = field(
        default_factory=lambda: np.zeros(0, dtype=np.int32)
    )
    prefix_options: NDArray[np.uint8] | None = None
    windows: WindowRule = "roadef"
    vehicle_ids: tuple[str, ...] = ()
    colour_names: tuple[str, ...] = ()
    option_names: tuple[str, ...] = ()
    source: str = ""
    rank_weights: tuple[int, ...] = WEIGHTS
    """Weight of the objective of each rank; CSPLib uses ``(1,)`` so that the total is
    the number of violations."""

    def __post_init__(self) -> None:
        n, k = np.shape(self.options) if np.ndim(self.options) == 2 else (len(self.colours), 0)
        put = object.__setattr__
        put(self, "colours", _frozen(np.asarray(self.colours, dtype=np.int32)))
        put(self, "options", _frozen(np.asarray(self.options, dtype=np.uint8).reshape(n, k)))
        put(self, "ratio_max", _frozen(np.asarray(self.ratio_max, dtype=np.int32)))
        put(self, "ratio_window", _frozen(np.asarray(self.ratio_window, dtype=np.int32)))
        put(self, "high_priority", _frozen(np.asarray(self.high_priority, dtype=np.bool_)))
        put(self, "prefix_colours", _frozen(np.asarray(self.prefix_colours, dtype=np.int32)))
        m = len(self.prefix_colours)
        prefix = self.prefix_options if self.prefix_options is not None else np.zeros((m, k))
        put(self, "prefix_options", _frozen(np.asarray(prefix, dtype=np.uint8).reshape(m, k)))
        if not self.vehicle_ids:
            put(self, "vehicle_ids", tuple(str(i + 1) for i in range(n)))
        ncol = int(max(self.colours.max(initial=-1), self.prefix_colours.max(initial=-1))) + 1
        if not self.colour_names:
            put(self, "colour_names", tuple(str(c) for c in range(ncol)))
        if not self.option_names:
            put(self, "option_names", tuple(f"R{j + 1}" for j in range(k)))
        self._validate(n, k, ncol)

    def _validate(self, n: int, k: int, ncol: int) -> None:
        if len(self.colours) != n or len(self.vehicle_ids) != n:
            raise ValueError("colours, options and vehicle_ids must have one entry per vehicle")
        for arr in (self.ratio_max, self.ratio_window, self.high_priority):
            if arr.shape != (k,):
                raise ValueError("ratio arrays must have one entry per ratio constraint")
        if len(self.option_names) != k or len(self.colour_names) < ncol:
            raise ValueError("option_names / colour_names do not match the data")
        if k and (self.ratio_window.min() < 1 or self.ratio_max.min() < 0):
            raise ValueError("ratio constraints need P >= 1 and N >= 0")
        if self.batch_limit is not None and self.batch_limit < 1:
            raise ValueError("batch_limit must be >= 1")
        if len(set(self.objectives)) != len(self.objectives) or len(self.objectives) > 3:
            raise ValueError("objectives must be distinct (at most three)")
        if len(self.rank_weights) < len(self.objectives):
            raise ValueError("rank_weights needs a weight for every objective")
        if min(self.colours.min(initial=0), self.prefix_colours.min(initial=0)) < 0:
            raise ValueError("colour indices must be >= 0")

    @property
    def n(self) -> int:
        """Number of day-D vehicles to sequence."""
        return len(self.colours)

    @property
    def m(self) -> int:
        """Number of fixed day D-1 vehicles in front."""
        return len(self.prefix_colours)

    @property
    def k(self) -> int:
        """Number of ratio constraints."""
        return len(self.ratio_max)

    def weight(self, objective: Objective) -> int:
        """The weight of ``objective`` in the total: 10**6, 10**3 or 1 by rank, 0 if absent."""
        if objective not in self.objectives:
            return 0
        return self.rank_weights[self.objectives.index(objective)]

    @property
    def weights(self) -> tuple[int, int, int]:
        """``(w_hprc, w_pcc, w_lprc)``."""
        return (self.weight(Objective.HPRC), self.weight(Objective.PCC),
                self.weight(Objective.LPRC))

    def window_starts(self, j: int) -> tuple[int, int]:
        """First and last start position (in prefix + day D coordinates, inclusive) of the
        windows constraint ``j`` is judged on; a window starting at ``s`` covers positions
        ``s .. s+P-1`` clipped to ``0 .. m+n-1``."""
        p = int(self.ratio_window[j])
        end = self.m + self.n
        if self.windows == "full":
            return max(0, self.m - p + 1), end - p
        return self.m - p + 1, end - 1

    def colour_counts(self) -> NDArray[np.int64]:
        """Number of day-D vehicles of each colour."""
        return np.bincount(self.colours, minlength=len(self.colour_names)).astype(np.int64)

    def summary(self) -> str:
        """One line: name, vehicles, colours, constraints, batch limit, objective order."""
        order = " > ".join(o.name for o in self.objectives)
        high = int(self.high_priority.sum())
        limit = "none" if self.batch_limit is None else str(self.batch_limit)
        return (f"{self.name}: {self.n} vehicles (+{self.m} fixed), "
                f"{len(set(self.colours.tolist()))} colours, {high} high + {self.k - high} "
                f"low ratio constraints, batch limit {limit}, objective {order}")


def check_batch_feasible(problem: SequenceProblem) -> None:
    """Raise :class:`InfeasibleError` when no sequence can respect the batch limit.

    With limit L, ``c`` vehicles of one colour need at least ``ceil(c/L) - 1`` vehicles
    of other colours between their batches; so the problem is infeasible exactly when
    some colour has ``c > L * (n - c + 1)``.
    """
    limit = problem.batch_limit
    if limit is None:
        return
    n = problem.n
    counts = problem.colour_counts()
    for colour, c in enumerate(counts.tolist()):
        if c > limit * (n - c + 1):
            name = problem.colour_names[colour]
            raise InfeasibleError(
                f"{problem.name}: paint batch limit {limit} cannot be met: colour {name} has "
                f"{c} of {n} vehicles, but {n - c} other vehicles separate at most "
                f"{limit * (n - c + 1)} of them into batches of {limit}"
            )
