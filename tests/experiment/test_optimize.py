"""optimize: constraints honoured, deterministic search, confirmation with fresh seeds."""

from __future__ import annotations

from pathlib import Path

import pytest

from taktline.errors import ScenarioError
from taktline.experiment.optimize import optimize
from tests.experiment.conftest import write

SEARCH = """\
name: search
plant: two_station
factors:
  b1: {path: buffers.b1.capacity, low: 1, high: 8, integer: true}
  mttr: {path: stations.m2.failures.failure.ttr.mean, values: [2min, 5min, 30min]}
replications: 3
run: {length: 12h, warmup: 1h}
objective: {kpi: throughput_jph}
constraints:
  - {name: small_buffer, sum: [b1], max: 4}
optimize: {budget: 6, seed: 2}
"""


def test_search_honours_constraints_and_confirms(tmp_path: Path) -> None:
    path = write(tmp_path, SEARCH)
    r = optimize(path, workers=1)
    ran = [t for t in r.trials if t.interval is not None]
    assert len(ran) == 6
    assert all(t.values["b1"] <= 4 for t in ran)
    assert all(t.status == "infeasible" for t in r.trials if t.values["b1"] > 4)
    assert r.best.interval is not None
    assert r.best.interval.mean == max(t.interval.mean for t in ran if t.interval)
    assert r.best.values["b1"] <= 4
    # fresh seeds for the confirmation, none used in the search
    assert r.seeds == [1, 2, 3] and r.fresh_seeds == [4, 5, 6]
    assert r.confirmation.n == 3 and r.difference.n == 3
    assert r.difference.mean == pytest.approx(r.confirmation.mean - r.base_confirmation.mean)
    frame = r.frame()
    assert len(frame) == len(r.trials) and {"trial", "status", "b1", "mttr", "mean"} <= set(
        frame.columns)
    # the same sampler seed gives the same search
    again = optimize(path, workers=1)
    assert [t.values for t in again.trials] == [t.values for t in r.trials]
    assert again.best.values == r.best.values


def test_objective_override_minimises_lead_time(tmp_path: Path) -> None:
    r = optimize(write(tmp_path, SEARCH), objective="lead_time_mean_s", budget=3, workers=1)
    assert r.direction == "minimize" and r.kpi == "lead_time_mean_s"
    ran = [t.interval.mean for t in r.trials if t.interval]
    assert r.best.interval is not None and r.best.interval.mean == min(ran)


def test_optimize_needs_factors(tmp_path: Path) -> None:
    text = "name: none\nplant: two_station\nrun: {length: 6h}\n"
    with pytest.raises(ScenarioError, match="optimize needs at least one factor"):
        optimize(write(tmp_path, text), workers=1)
