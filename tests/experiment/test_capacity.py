"""Capacity planning: the arithmetic by hand, a short simulated plan, the Chongqing file."""

from __future__ import annotations

from pathlib import Path

import pytest

from taktline.analysis.stats import Interval
from taktline.errors import ScenarioError
from taktline.experiment.capacity import (
    CapacityPlan,
    CapacitySettings,
    load_capacity_file,
    plan_capacity,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_plants_needed_by_hand() -> None:
    """30 +- 3 JPH over 8,760 h: 262,800 +- 26,280 vehicles a year (236,520 .. 289,080).
    2.3 million needs ceil(8.75) = 9 plants, 8 (ceil 7.96) to 10 (ceil 9.72)."""
    plan = CapacityPlan("p", Interval(30.0, 3.0, 5), 8760.0, 7.0, 5, 8 * 3600.0)
    assert plan.yearly.mean == pytest.approx(262_800.0)
    assert plan.yearly.half_width == pytest.approx(26_280.0)
    need = plan.plants_for(2_300_000)
    assert (need.estimate, need.low, need.high) == (9, 8, 10)
    wide = CapacityPlan("p", Interval(30.0, 40.0, 2), 8760.0, 1.0, 2, 0.0)
    assert wide.plants_for(1000).high is None  # the interval reaches zero output


def test_plan_from_a_short_simulation() -> None:
    settings = CapacitySettings(days=1, replications=3, warmup=3600, hours_per_year=8000)
    plan = plan_capacity("single_station", settings=settings, workers=1)
    # one 110 s cell: at most 3600 / 110 = 32.7 JPH, less its failures (MTTR 5 min / 8 h)
    assert 31.0 < plan.jph.mean < 3600 / 110
    assert plan.jph.n == 3 and plan.yearly.mean == pytest.approx(plan.jph.mean * 8000)
    assert plan.plants_for(1_000_000).estimate == -(-1_000_000 // plan.yearly.mean)


def test_chongqing_file_states_its_figures_and_sources() -> None:
    spec, plant = load_capacity_file(EXAMPLES / "chongqing.yaml")
    units = {f.id: f.units for f in spec.figures}
    assert units == {"built_2023": 2_300_000, "nev_2023": 500_000,
                     "icnev_target_2025": 1_500_000, "icnev_target_2027": 2_000_000}
    assert plant == "default"
    assert all(f.source in spec.sources for f in spec.figures)
    assert "iChongqing, 2024-01-19" in spec.sources["ichongqing_2024_01_19"]


def test_capacity_file_errors(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("name: x\nfigures:\n  - {id: a, units: 10, what: w, source: s}\n",
                    encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"c.yaml:3 figures\[0\].source: no source 's'"):
        load_capacity_file(path)
    path.write_text("name: x\nfigures: []\nyear: 1\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"c.yaml:2 figures: must have at least 1"):
        load_capacity_file(path)
