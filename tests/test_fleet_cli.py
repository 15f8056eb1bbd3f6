"""``taktline fleet size``: the experiment runner over fleet sizes, and its rule."""

from __future__ import annotations

import pytest

from taktline.cli import main
from taktline.experiment.fleet_size import size_fleet


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
