"""Each formula of analysis/stats.py against a known case, with its source named."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as st

from taktline.analysis.stats import (
    bonferroni_level,
    compare_to_base,
    mean_ci,
    mser,
    paired_ci,
)


def test_mean_ci_against_the_t_table() -> None:
    """Law (2015) 9.4.1 with Table T.1: t(4, 0.975) = 2.776. Values 1..5: mean 3,
    s = sqrt(2.5) = 1.5811, half-width 2.776 x 1.5811 / sqrt 5 = 1.963."""
    ci = mean_ci([1, 2, 3, 4, 5])
    assert ci.mean == 3.0
    assert ci.half_width == pytest.approx(1.963, abs=5e-4)
    assert ci.low == pytest.approx(1.037, abs=5e-4)
    assert mean_ci([7.0]).half_width == math.inf


def test_paired_ci_worked_by_hand() -> None:
    """Law (2015) 10.2.1, paired-t: x = 10 12 11 13 14, y = 9 10 10 11 12 -> Z = 1 2 1 2 2,
    mean 1.6, s_Z = sqrt(0.3) = 0.54772, half-width 2.776 x 0.54772 / sqrt 5 = 0.6800."""
    x, y = [10, 12, 11, 13, 14], [9, 10, 10, 11, 12]
    ci = paired_ci(x, y)
    assert ci.mean == pytest.approx(1.6)
    assert ci.half_width == pytest.approx(0.6800, abs=5e-4)
    assert ci.excludes_zero
    # the same interval as scipy's paired t-test (an independent implementation)
    ref = st.ttest_rel(x, y).confidence_interval(0.95)
    assert (ci.low, ci.high) == pytest.approx((ref.low, ref.high))
    with pytest.raises(ValueError, match="differ in length"):
        paired_ci([1, 2], [1, 2, 3])


def test_bonferroni_level() -> None:
    """Law (2015) 10.3: m intervals at 1 - a/m hold together at >= 1 - a;
    four comparisons at 95 % overall are 98.75 % each."""
    assert bonferroni_level(0.95, 4) == pytest.approx(0.9875)
    assert bonferroni_level(0.95, 1) == pytest.approx(0.95)
    assert bonferroni_level(0.90, 0) == 0.90


def test_compare_to_base_ranks_and_flags_significance() -> None:
    """Three scenarios, five replications with common seeds: 'big' beats the base by a
    steady +2 (zero-variance difference), 'same' differs by noise around 0."""
    base = [30.0, 31.0, 29.5, 30.5, 30.2]
    values = {
        "base": base,
        "big": [b + 2.0 for b in base],
        "same": [b + d for b, d in zip(base, [0.3, -0.4, 0.2, -0.1, 0.0], strict=True)],
    }
    res = {c.scenario: c for c in compare_to_base(values, "base")}
    assert res["big"].rank == 1 and res["big"].verdict == "better"
    assert res["big"].difference.mean == pytest.approx(2.0)
    assert res["same"].verdict == "no difference"
    assert res["base"].verdict == "base"
    assert res["base"].worse_than_best and res["same"].worse_than_best
    assert not res["big"].worse_than_best
    # Bonferroni: 2 comparisons, each at 97.5 %: the half-width uses t(4, 0.9875)
    diffs = np.subtract(values["same"], base)
    t = st.t.ppf(1 - 0.025 / 2, 4)
    assert res["same"].difference.half_width == pytest.approx(
        t * diffs.std(ddof=1) / math.sqrt(5)
    )
    assert res["same"].difference.level == pytest.approx(0.975)
    # lower is better (lead time): the ranking turns round and 'big' becomes worse
    low = {c.scenario: c for c in compare_to_base(values, "base", higher_is_better=False)}
    assert low["big"].verdict == "worse" and low["big"].rank == 3


def test_mser_worked_by_hand() -> None:
    """White (1997): batch means Z = 4 1 0 1 (k = 4, batch size 5).
    MSER(0) = (2.5^2 + 0.5^2 + 1.5^2 + 0.5^2) / 16 = 9/16;
    MSER(1) = ((1/3)^2 + (2/3)^2 + (1/3)^2) / 9 = 2/27; MSER(2) = 0.5 / 4 = 1/8.
    The minimum is at d = 1: drop the first 5 observations."""
    series = [4.0] * 5 + [1.0, 0.5, 1.5, 1.0, 1.0] + [0.0] * 5 + [1.0] * 5 + [9.0, 9.0]
    cut = mser(series)
    assert cut.statistic == pytest.approx((9 / 16, 2 / 27, 1 / 8))
    assert cut.batches == 1 and cut.observations == 5 and cut.reliable


def test_mser5_finds_an_initial_transient() -> None:
    """A known transient: 60 observations decaying from 50 to the steady mean 10, then
    440 stationary ones (noise sd 1). MSER-5 truncates at the end of the transient."""
    rng = np.random.default_rng(3)
    transient = 10.0 + 40.0 * np.exp(-np.arange(60) / 12.0)
    series = np.concatenate([transient, 10.0 + rng.normal(0, 1, 440)])
    cut = mser(series)
    assert cut.reliable
    assert 40 <= cut.observations <= 80
    assert mser(10.0 + rng.normal(0, 1, 500)).observations <= 25  # stationary: little cut


def test_mser_flags_a_run_that_is_too_short() -> None:
    """A series still trending at its end: the minimum falls in the second half."""
    cut = mser(np.linspace(100.0, 0.0, 50) ** 2)
    assert not cut.reliable
    with pytest.raises(ValueError, match="at least 2 batches"):
        mser([1.0] * 9)
