"""Statistics over replications: means with Student-t confidence intervals.

Source: the independent replications method, e.g. Law, *Simulation Modeling and
Analysis*, 5th ed. (McGraw-Hill 2015), section 9.4.1: for n independent replications
with mean x and sample standard deviation s, the 100(1 - a) % interval is
x +- t(n-1, 1 - a/2) s / sqrt(n).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats as _st

__all__ = ["Interval", "mean_ci"]


@dataclass(frozen=True, slots=True)
class Interval:
    """A mean with the half-width of its confidence interval."""

    mean: float
    half_width: float
    n: int
    level: float = 0.95

    @property
    def low(self) -> float:
        return self.mean - self.half_width

    @property
    def high(self) -> float:
        return self.mean + self.half_width

    def __contains__(self, value: float) -> bool:
        return self.low <= value <= self.high

    def __str__(self) -> str:
        return f"{self.mean:.6g} +- {self.half_width:.3g} ({self.level:.0%}, n={self.n})"


def mean_ci(values: Sequence[float] | np.ndarray, level: float = 0.95) -> Interval:
    """Mean and Student-t confidence half-width of independent observations."""
    x = np.asarray(values, dtype=float)
    n = len(x)
    if n == 0:
        raise ValueError("no values")
    mean = float(x.mean())
    if n == 1:
        return Interval(mean, math.inf, 1, level)
    t = float(_st.t.ppf(0.5 + level / 2.0, n - 1))
    return Interval(mean, t * float(x.std(ddof=1)) / math.sqrt(n), n, level)
