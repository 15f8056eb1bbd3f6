"""Small scenario files for the experiment tests (the two-station line: runs in ms)."""

from __future__ import annotations

from pathlib import Path

import pytest

TWO_STATION = """\
name: tiny
plant: two_station
factors:
  b1: {path: buffers.b1.capacity, values: [1, 4]}
  mttr: {path: stations.m2.failures.failure.ttr.mean, values: [5min, 30min]}
replications: 3
run: {length: 12h, warmup: 1h}
seeds: {base: 11}
kpis: [throughput_jph, lead_time_mean_s, wip_mean]
"""


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    """A 2 x 2 factorial on the two-station line, 3 replications of 12 h."""
    path = tmp_path / "tiny.yaml"
    path.write_text(TWO_STATION, encoding="utf-8")
    return path


def write(tmp_path: Path, text: str, name: str = "scenario.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path
