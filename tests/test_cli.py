"""The CLI is a thin shell: its output comes from the public API's results."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from taktline.cli import main

REQUIRED = ("vehicles_completed", "throughput_jph", "takt_s", "takt_attainment",
            "mean_interdeparture_s", "robots", "oee", "bottleneck", "lead_time_s",
            "wip_mean", "stations")


def test_simulate_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "kpis.json"
    assert main(["simulate", "five_station_agv", "--days", "1", "--json", str(out)]) == 0
    data = json.loads(out.read_text())
    for key in REQUIRED:
        assert key in data, key
    assert set(data["oee"]) == {"plant", "shops", "stations"}
    assert set(data["oee"]["stations"]) == {"weld", "paint", "roof", "trim", "eol_test"}
    assert set(data["bottleneck"]) == {"station", "sole_share", "shifting_share"}
    assert set(data["lead_time_s"]) == {"mean", "p95"}
    station = data["stations"][0]
    for key in ("id", "shop", "working", "blocked", "starved", "failed", "setup"):
        assert key in station
    text = capsys.readouterr().out
    assert f"{data['vehicles_completed']:,}" in text
    assert f"Bottleneck: {data['bottleneck']['station']}" in text


def test_simulate_report(tmp_path: Path) -> None:
    out = tmp_path / "run.html"
    assert main(["simulate", "single_station", "--days", "1", "--report", str(out)]) == 0
    html = out.read_text()
    assert html.count("data:image/png;base64,") >= 3
    assert "single-station" in html


def test_same_seed_same_json(tmp_path: Path) -> None:
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    for path in (a, b):
        assert main(["simulate", "two_station", "--days", "1", "--seed", "5",
                     "--json", str(path)]) == 0
    da, db = json.loads(a.read_text()), json.loads(b.read_text())
    da.pop("wall_s"), db.pop("wall_s")
    assert da == db


def test_plant_show_counts_robots(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plant", "show"]) == 0
    text = capsys.readouterr().out
    assert "reference-suv-plant" in text
    assert "320 robots" in text
    assert "spot_welding" in text


def test_plant_list(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plant", "list"]) == 0
    text = capsys.readouterr().out
    for name in ("default", "single_station", "two_station", "five_station_agv"):
        assert name in text


def test_usage_error_exits_2() -> None:
    assert main(["simulate", "--days", "-3"]) == 2
