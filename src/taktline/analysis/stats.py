"""Statistics over replications: confidence intervals, paired comparisons, MSER-5.

Sources, one per formula:

* **Mean and confidence interval** - the independent replications method, Law,
  *Simulation Modeling and Analysis*, 5th ed. (McGraw-Hill 2015), section 9.4.1: for n
  independent replications with mean x and sample standard deviation s, the
  100(1 - a) % interval is x +- t(n-1, 1 - a/2) s / sqrt(n).
* **Paired differences** - Law (2015), section 10.2.1, the paired-t confidence
  interval: with Z_j = X_j - Y_j from replication j of two systems, the interval for
  E[X - Y] is mean(Z) +- t(n-1, 1 - a/2) s_Z / sqrt(n). It needs no independence
  *between* the systems, so it stays valid under common random numbers (same seed in
  replication j of both), which make s_Z small.
* **Several comparisons at once** - the Bonferroni inequality, Law (2015), section
  10.3: if each of m intervals has level 1 - a/m, all m hold together with probability
  at least 1 - a.
* **Warm-up** - MSER-5, K. P. White Jr., "An effective truncation heuristic for bias
  reduction in simulation output", *Simulation* 69(6), 1997, 323-334, and White,
  Cobb & Spratt, "A comparison of five steady-state truncation heuristics",
  Proc. 2000 WSC: batch the output into means of 5, truncate the d batches that
  minimise MSER(d) = sum_{j>d} (Z_j - mean_{j>d} Z)^2 / (k - d)^2, searched over the
  first half of the series; a minimum in the second half is unreliable: the run is too
  short (Franklin & White 2008, "Stationarity tests and MSER-5", Proc. WSC).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "Comparison",
    "Interval",
    "Truncation",
    "bonferroni_level",
    "compare_to_base",
    "mean_ci",
    "mser",
    "paired_ci",
]


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

    @property
    def excludes_zero(self) -> bool:
        """True when the interval lies wholly above or wholly below 0."""
        return self.low > 0.0 or self.high < 0.0

    def __contains__(self, value: float) -> bool:
        return self.low <= value <= self.high

    def __str__(self) -> str:
        return f"{self.mean:.6g} +- {self.half_width:.3g} ({self.level:.0%}, n={self.n})"


def mean_ci(values: Sequence[float] | NDArray[np.float64], level: float = 0.95) -> Interval:
    """Mean and Student-t confidence half-width of independent observations."""
    x = np.asarray(values, dtype=float)
    n = len(x)
    if n == 0:
        raise ValueError("no values")
    mean = float(x.mean())
    if n == 1:
        return Interval(mean, math.inf, 1, level)
    from scipy import stats  # here, not at the top: scipy.stats costs a CLI start ~1 s

    t = float(stats.t.ppf(0.5 + level / 2.0, n - 1))
    return Interval(mean, t * float(x.std(ddof=1)) / math.sqrt(n), n, level)


def paired_ci(
    x: Sequence[float] | NDArray[np.float64],
    y: Sequence[float] | NDArray[np.float64],
    level: float = 0.95,
) -> Interval:
    """Paired-t interval for E[X - Y]; ``x[j]`` and ``y[j]`` come from replication j."""
    a, b = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if a.shape != b.shape:
        raise ValueError(f"paired samples differ in length ({len(a)} and {len(b)})")
    return mean_ci(a - b, level)


def bonferroni_level(level: float, comparisons: int) -> float:
    """Level of each of ``comparisons`` intervals so that all hold together at ``level``."""
    if comparisons < 1:
        return level
    return 1.0 - (1.0 - level) / comparisons


@dataclass(frozen=True, slots=True)
class Comparison:
    """One scenario of a KPI against the base (paired, Bonferroni-adjusted) and its rank.

    ``verdict`` is ``better``, ``worse`` or ``no difference`` (the interval of the
    difference contains 0); ``rank`` 1 is the best mean in the KPI's direction.
    """

    scenario: str
    rank: int
    estimate: Interval
    difference: Interval
    verdict: str
    worse_than_best: bool

    @property
    def significant(self) -> bool:
        return self.verdict != "no difference"


def _verdict(diff: Interval, higher_is_better: bool) -> str:
    if not diff.excludes_zero:
        return "no difference"
    return "better" if (diff.low > 0.0) == higher_is_better else "worse"


def compare_to_base(
    values: Mapping[str, Sequence[float]],
    base: str,
    *,
    higher_is_better: bool = True,
    level: float = 0.95,
) -> list[Comparison]:
    """Rank scenarios by their mean and compare each with ``base`` by paired differences.

    ``values[s][j]`` is the KPI of scenario ``s`` in replication ``j``; replication j
    must use the same seed in every scenario. The m = (scenarios - 1) intervals against
    the base are Bonferroni-adjusted to hold together at ``level``; so are the
    intervals against the best that set ``worse_than_best``.
    """
    if base not in values:
        raise KeyError(base)
    names = list(values)
    means = {s: float(np.mean(values[s])) for s in names}
    sign = 1.0 if higher_is_better else -1.0
    order = sorted(names, key=lambda s: (-sign * means[s], names.index(s)))
    best = order[0]
    each = bonferroni_level(level, len(names) - 1)
    out = []
    for rank, s in enumerate(order, start=1):
        diff = paired_ci(values[s], values[base], each)
        gap = paired_ci(values[best], values[s], each)
        worse = s != best and (gap.low > 0.0 if higher_is_better else gap.high < 0.0)
        out.append(
            Comparison(
                scenario=s,
                rank=rank,
                estimate=mean_ci(values[s], level),
                difference=diff,
                verdict="base" if s == base else _verdict(diff, higher_is_better),
                worse_than_best=worse,
            )
        )
    return out


@dataclass(frozen=True, slots=True)
class Truncation:
    """Where MSER truncates a series: ``batches`` batch means, i.e. ``observations``."""

    batches: int
    batch_size: int
    statistic: tuple[float, ...]
    reliable: bool

    @property
    def observations(self) -> int:
        return self.batches * self.batch_size


def mser(series: Sequence[float] | NDArray[np.float64], batch_size: int = 5) -> Truncation:
    """MSER truncation of one output series (``batch_size`` 5 is MSER-5).

    Batch means Z_1..Z_k of ``batch_size`` consecutive observations (a trailing partial
    batch is dropped); for d = 0..k-2, MSER(d) = sum_{j=d+1..k} (Z_j - Zbar_d)^2 /
    (k - d)^2 with Zbar_d the mean of Z_{d+1..k}. MSER(d) becomes unstable when few
    batches remain (a minimum in the second half is unreliable: Franklin & White 2008),
    so the truncation is the d <= k/2 with the least MSER(d) (the first one on ties);
    ``reliable`` is False when that is the boundary k/2 itself: the transient may last
    longer than half the run.
    """
    x = np.asarray(series, dtype=float)
    k = len(x) // batch_size
    if k < 2:
        raise ValueError(
            f"MSER needs at least 2 batches of {batch_size} observations (got {len(x)})"
        )
    z = x[: k * batch_size].reshape(k, batch_size).mean(axis=1)
    stat = []
    for d in range(k - 1):
        tail = z[d:]
        stat.append(float(((tail - tail.mean()) ** 2).sum() / (k - d) ** 2))
    half = min(k // 2, k - 2)
    best = int(np.argmin(stat[: half + 1]))
    return Truncation(best, batch_size, tuple(stat), best < half or half == 0)
