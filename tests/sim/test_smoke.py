"""Smoke: every bundled small plant runs and is deterministic."""

import pytest

from taktline.plant import load_plant
from taktline.sim import run_twin


@pytest.mark.parametrize("name", ["single_station", "two_station", "five_station_agv"])
def test_small_plants_run_and_repeat(name: str) -> None:
    plant = load_plant(name)
    a = run_twin(plant, horizon_s=86400, seed=3)
    b = run_twin(plant, horizon_s=86400, seed=3)
    assert a.completed > 0
    assert a.records.table("dispatch").column("time").tobytes() == (
        b.records.table("dispatch").column("time").tobytes()
    )
