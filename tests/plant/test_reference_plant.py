"""The bundled reference plant is what issue 2 and the Chongqing descriptions ask for."""

from __future__ import annotations

import pytest

from taktline import load_plant, simulate
from taktline.plant import PartSource, Plant

PLANT = load_plant()


def test_profile() -> None:
    assert PLANT.robot_count >= 300
    assert PLANT.takt == 120
    assert PLANT.calendar.maintenance == []  # 24/7
    types = PLANT.robots_by_type()
    for kind in ("spot_welding", "laser_welding", "painting", "handling"):
        assert types.get(kind, 0) > 0, kind
    assert {s.id for s in PLANT.shops} >= {"stamping", "body", "paint", "assembly", "test",
                                          "logistics"}


def _station(p: Plant, sid: str):  # type: ignore[no-untyped-def]
    return p.station(sid)


def test_one_click_die_change_of_five_seconds() -> None:
    presses = [s for s in PLANT.stations if s.setup is not None and s.setup.on == "part"]
    assert len(presses) >= 1
    assert all(s.setup is not None and s.setup.time.mean_value == 5.0 for s in presses)


def test_side_frame_sub_lines_merge_at_framing() -> None:
    framing = _station(PLANT, "framing")
    assert {"sfl_out", "sfr_out", "ub_out"} <= {i.buffer for i in framing.inputs}


def test_paint_purges_assembly_on_agvs_and_battery_marriage() -> None:
    assert any(s.setup is not None and s.setup.on == "colour" and s.setup.max_batch
               for s in PLANT.stations)
    assert PLANT.fleets and PLANT.fleets[0].size > 0
    feed = [s for s in PLANT.sources if isinstance(s, PartSource) and s.call_off]
    assert feed and feed[0].part == "battery_pack"
    assert "battery_stock" in {i.buffer for i in _station(PLANT, "marriage").inputs}
    assert sum(1 for s in PLANT.stations if s.option is not None) >= 3


@pytest.mark.parametrize("seed", [1, 2])
def test_a_week_reaches_90_to_100_percent_of_the_designed_rate(seed: int) -> None:
    k = simulate(PLANT, days=7, seed=seed).kpis
    assert 0.90 <= k.design_rate_share <= 1.0, k.design_rate_share
    assert k.flow.vehicles_completed >= 0.9 * 7 * 720
