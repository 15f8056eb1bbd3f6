"""Results: the tidy table, statistics per scenario, comparisons, and the HTML report."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from taktline.analysis.report import STATE_COLOURS
from taktline.analysis.stats import mean_ci, paired_ci
from taktline.experiment import ExperimentResult, run_experiment
from tests.analysis.test_report import images, share_of_colour


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> ExperimentResult:
    from tests.experiment.conftest import TWO_STATION

    folder = tmp_path_factory.mktemp("tiny")
    path = folder / "tiny.yaml"
    path.write_text(TWO_STATION, encoding="utf-8")
    return run_experiment(path, workers=1, out=folder / "out")


def test_tidy_table_one_row_per_scenario_replication_kpi(result: ExperimentResult) -> None:
    table = result.table()
    n_kpis = len(result.kpi_names)
    assert len(table) == 4 * 3 * n_kpis
    assert list(table.columns) == ["scenario", "replication", "seed", "b1", "mttr", "kpi",
                                   "value"]
    assert not table.duplicated(["scenario", "replication", "kpi"]).any()
    assert set(table.seed) == {11, 12, 13}
    one = table[(table.scenario == "b1=1,mttr=30min") & (table.kpi == "throughput_jph")]
    assert list(one.b1) == [1.0] * 3 and list(one.mttr) == [1800.0] * 3
    out = Path(result.experiment.file).parent / "out"
    for name in ("results.parquet", "results.csv"):
        back = (pd.read_parquet if name.endswith("parquet") else pd.read_csv)(out / name)
        assert len(back) == len(table)
        assert np.allclose(back["value"], table["value"])


def test_summary_and_comparisons_use_the_formulas(result: ExperimentResult) -> None:
    kpi = "throughput_jph"
    values = result.values(kpi)
    summary = result.summary().set_index(["scenario", "kpi"])
    for s, vals in values.items():
        ci = mean_ci(vals)
        assert summary.loc[(s, kpi), "mean"] == pytest.approx(ci.mean)
        assert summary.loc[(s, kpi), "half_width"] == pytest.approx(ci.half_width)
    comps = {c.scenario: c for c in result.comparisons(kpi)}
    base = result.experiment.base
    slow = "b1=4,mttr=30min"
    expect = paired_ci(values[slow], values[base], level=1 - 0.05 / 3)
    assert comps[slow].difference.mean == pytest.approx(expect.mean)
    assert comps[slow].difference.half_width == pytest.approx(expect.half_width)
    assert sorted(c.rank for c in comps.values()) == [1, 2, 3, 4]
    means = [comps[s].estimate.mean for s in sorted(comps, key=lambda s: comps[s].rank)]
    assert means == sorted(means, reverse=True)
    table = result.comparison_table()
    assert set(table.kpi) == set(result.experiment.spec.kpis)


def test_report_has_every_figure_and_they_show_data(result: ExperimentResult) -> None:
    html = (Path(result.experiment.file).parent / "out" / "report.html").read_text()
    assert "<script" not in html and "https://" not in html
    imgs = images(html)
    assert {"KPIs against b1", "KPIs against mttr", "throughput over time"} <= set(imgs)
    assert any(a.startswith("state shares") for a in imgs)
    assert any(a.startswith("bottleneck shares") for a in imgs)
    factor = imgs["KPIs against b1"]
    assert factor.shape[1] == 3 * 420  # three KPIs side by side
    # two lines (one per MTTR level) in matplotlib's first two colours
    assert share_of_colour(factor, "#1f77b4", tol=40) > 0.001
    assert share_of_colour(factor, "#ff7f0e", tol=40) > 0.001
    states = next(v for a, v in imgs.items() if a.startswith("state shares"))
    assert share_of_colour(states, STATE_COLOURS["working"]) > 0.2
    for s in result.experiment.scenarios:
        assert s.name in html
