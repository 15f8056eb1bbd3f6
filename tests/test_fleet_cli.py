"""``taktline fleet size`` (the experiment runner over fleet sizes, and its rule) and
``taktline fleet check`` (the safety check of a run's reserved fleet)."""

from __future__ import annotations

import numpy as np
import pytest

from taktline.analysis.fleet import check_fleet
from taktline.cli import main
from taktline.commands import fleet as fleet_cmd
from taktline.experiment.fleet_size import size_fleet
from taktline.plant import load_plant
from taktline.sim.run import Run, run_twin


def test_fleet_size_finds_the_smallest_fleet_that_holds_takt() -> None:
    s = size_fleet("five_station_agv", sizes=range(1, 4), replications=2, days=0.5,
                   warmup=3600.0, attainment=0.5, workers=1)
    assert [r.size for r in s.sizes] == [1, 2, 3]
    assert s.design_jph == pytest.approx(30.0)
    for r in s.sizes:  # the rule, applied to the measured intervals
        assert r.holds == (r.jph.low >= 0.5 * s.design_jph)
    holding = [r.size for r in s.sizes if r.holds]
    if s.smallest is not None:
        assert all(r.holds for r in s.sizes if r.size >= s.smallest)
        assert s.smallest == min(x for x in holding if all(
            y.holds for y in s.sizes if y.size >= x))
    # more AGVs never carry less on average here (same seeds in every scenario)
    means = [r.jph.mean for r in s.sizes]
    assert means[-1] >= means[0]


def test_fleet_size_cli(capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["fleet", "size", "five_station_agv", "--min", "2", "--max", "3",
               "--replications", "2", "--days", "0.25", "--warmup", "1", "--workers", "1"])
    assert rc == 0
    text = capsys.readouterr().out
    assert "design rate 30.00 JPH" in text and "rule: lower 95 % bound" in text


def test_fleet_size_bad_input_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fleet", "size", "five_station_agv", "--fleet", "nope"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "nope" in err[0]
    assert main(["fleet", "size", "five_station_agv", "--min", "4", "--max", "2"]) == 2


@pytest.fixture(scope="module")
def day() -> Run:
    """A day of the reference plant (its fleet drives reserved chains)."""
    return run_twin(load_plant(), horizon_s=86400.0, seed=3)


def test_fleet_check_cli_on_the_reference_plant(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fleet", "check", "--days", "1", "--seed", "3"]) == 0
    text = capsys.readouterr().out
    assert "node or edge conflicts: 0" in text and "never done: 0" in text
    assert "safe: no collision, no deadlock" in text


def test_fleet_check_finds_a_clash_and_names_it(
    day: Run, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """One visit record copied to another AGV (at the same node and time): the check
    fails, names the node and both AGVs, and the command exits with 1."""
    ok = check_fleet(day)
    assert ok.report.ok and ok.visits > 5000 and ok.drops_checked > 2000
    v = day.records.table("visit")
    k = int(np.flatnonzero((v.column("stops") & 1) > 0)[100])  # a pickup
    row = [v.column(c)[k].item() for c in v.names]  # plain values: no view stays alive
    row[v.names.index("agv")] = (row[v.names.index("agv")] + 1) % 10
    row[v.names.index("edge")], row[v.names.index("way")] = -1, 0
    v.appender()(*row)
    bad = check_fleet(day)
    assert not bad.report.ok and bad.report.conflicts[0].kind == "node"
    monkeypatch.setattr(fleet_cmd, "run_twin", lambda *a, **kw: day)
    assert main(["fleet", "check", "--days", "1"]) == 1
    text = capsys.readouterr().out
    node = bad.nodes[bad.report.conflicts[0].resource]
    assert f"node {node}: AGV" in text and "NOT SAFE" in text


def test_fleet_check_refuses_a_free_fleet(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fleet", "check", "five_station_agv", "--days", "0.1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "routing: free" in err[0] and "fleets[0].routing" in err[0]
