"""The experiment, optimize and capacity commands (typer's CliRunner on the sub-app)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from taktline.commands.experiment import app
from taktline.errors import ScenarioError
from tests.experiment.conftest import write

runner = CliRunner()


def test_experiment_command_prints_tables_and_writes_results(tiny: Path,
                                                             tmp_path: Path) -> None:
    out = tmp_path / "res"
    r = runner.invoke(app, ["experiment", str(tiny), "--workers", "1", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "tiny: 4 scenarios x 3 replications" in r.output
    assert "b1=4,mttr=5min (base)" in r.output
    assert "verdict" in r.output and "base" in r.output
    assert (out / "report.html").exists() and (out / "results.parquet").exists()
    again = runner.invoke(app, ["experiment", str(tiny), "--workers", "1", "--out", str(out)])
    assert "runs done 0, reused 12" in again.output


def test_bad_scenario_raises_the_input_error(tmp_path: Path) -> None:
    path = write(tmp_path, "name: x\nplant: two_station\nrun: {length: 0}\n")
    r = runner.invoke(app, ["experiment", str(path)])
    assert r.exit_code != 0
    assert isinstance(r.exception, ScenarioError)
    assert str(r.exception) == f"{path}:3 run.length: must be > 0.0 (got 0.0)"


def test_optimize_command(tmp_path: Path) -> None:
    from tests.experiment.test_optimize import SEARCH

    path = write(tmp_path, SEARCH)
    r = runner.invoke(app, ["optimize", str(path), "--budget", "3", "--workers", "1"])
    assert r.exit_code == 0, r.output
    assert "best configuration: b1=" in r.output
    assert "confirmed with fresh seeds 4-6" in r.output
    bad = runner.invoke(app, ["optimize", str(path), "--objective", "speed"])
    assert isinstance(bad.exception, ScenarioError) and "unknown KPI 'speed'" in str(
        bad.exception)


def test_capacity_command(tmp_path: Path) -> None:
    r = runner.invoke(app, ["capacity", "--target", "1000000", "--plant", "single_station",
                            "--days", "0.5", "--replications", "2", "--workers", "1"])
    assert r.exit_code == 0, r.output
    assert "single-station" in r.output and "1,000,000" in r.output
    assert "scaled to 8,760 h a year" in r.output
    chongqing = Path(__file__).resolve().parents[2] / "examples" / "chongqing.yaml"
    r = runner.invoke(app, ["capacity", "--file", str(chongqing), "--plant", "two_station",
                            "--days", "0.5", "--replications", "2", "--workers", "1"])
    assert r.exit_code == 0, r.output
    for text in ("2,300,000", "500,000", "1,500,000", "2,000,000", "iChongqing, 2024-01-19"):
        assert text in r.output
    none = runner.invoke(app, ["capacity"])
    assert none.exit_code == 2 and "--target" in none.output


@pytest.mark.parametrize("args", [["experiment", "missing.yaml"],
                                  ["optimize", "missing.yaml"]])
def test_missing_file(args: list[str]) -> None:
    r = runner.invoke(app, args)
    assert isinstance(r.exception, ScenarioError)
    assert str(r.exception) == "missing.yaml no such scenario file"
