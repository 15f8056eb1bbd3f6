"""The plant structure the MES derives, and the fault policies' rules (no database)."""

from __future__ import annotations

import pytest

from taktline.errors import InputError
from taktline.ops.driver import Fault, PlantEvent
from taktline.ops.intake import OrderIn, check_orders
from taktline.ops.policies import Policies, default_wip_cap
from taktline.ops.settings import PolicySettings
from taktline.ops.topology import Topology
from taktline.ops.vin import check_digit, make_vin
from taktline.plant.load import load_plant

PLANT = load_plant("default")
TOPO = Topology.of(PLANT)


def ev(kind: str, station: str, **data: object) -> PlantEvent:
    return PlantEvent(0, 0.0, kind, station, None, {"planned": False, **data})  # type: ignore[arg-type]


def test_topology_of_the_reference_plant() -> None:
    assert TOPO.vehicle_stations[:2] == ("ub_10", "ub_20")
    assert "sfl_10" not in TOPO.vehicle_input  # side frames are parts, not vehicles
    assert TOPO.vehicle_input["framing"] == "ub_out"
    assert TOPO.vehicle_input["marriage"] == "c_in"  # not the battery stock
    assert TOPO.press_stations == {"press_a", "press_b"}
    branch = TOPO.branches["rs_a20"]
    assert (branch.split, branch.merge, branch.entry) == ("rs_in", "cl_in", "rs_a10")
    assert branch.siblings == (("rs_b10", "rs_b20", "rs_b30"),)
    assert set(TOPO.branches) == {f"rs_{x}{n}" for x in "ab" for n in (10, 20, 30)}
    assert TOPO.groups["framing"].type == "laser_welding" and TOPO.groups["framing"].count == 6
    assert "eol_roll" not in TOPO.groups  # no robots
    assert TOPO.quality_gates[-1] == "eol_final"
    assert TOPO.output_for("eol_final", good=False) == "rework_q"
    assert TOPO.output_for("eol_final", good=True) == "box_in"
    assert sum(len(r) for r in TOPO.robots.values()) == PLANT.robot_count
    assert 150 < default_wip_cap(TOPO) < 300


def test_degraded_mode_only_with_a_stand_in() -> None:
    p = Policies(PolicySettings(), TOPO)
    first = p.on_fault(Fault("ub_20", "weld_fault", 0.0, 300.0))
    second = p.on_fault(Fault("ub_20", "weld_fault", 9.0, 300.0))
    assert first is not None and second is not None and first.robot != second.robot
    assert p.on_fault(Fault("fa_20", "cell_fault", 0.0, 240.0)) is None  # one robot
    p.on_events([ev("degraded", "ub_30", robot="x", factor=1.1)])
    assert p.on_fault(Fault("ub_30", "weld_fault", 0.0, 300.0)) is None  # already degraded
    off = Policies(PolicySettings(degraded_mode=False), TOPO)
    assert off.on_fault(Fault("ub_20", "weld_fault", 0.0, 300.0)) is None
    actions = [d.action for d in p.take_decisions()]
    assert actions == ["degrade", "degrade", "wait_repair", "wait_repair"]
    assert off.take_decisions()[0].reason.endswith("switched off")


def test_reroute_holds_the_branch_entry_until_the_branch_is_up() -> None:
    p = Policies(PolicySettings(), TOPO)
    assert p.on_events([ev("down", "rs_a20", cause="weld")]) == [("rs_a10", "stop")]
    assert p.on_events([ev("down", "rs_a30", cause="weld")]) == []  # already held
    assert p.on_events([ev("up", "rs_a20", cause="weld", duration_s=1.0)]) == []
    assert p.on_events([ev("up", "rs_a30", cause="weld", duration_s=1.0)]) == \
        [("rs_a10", "start")]
    # the other branch impaired too: vehicles keep their routes
    p.on_events([ev("down", "rs_b20", cause="weld")])
    assert p.on_events([ev("down", "rs_a20", cause="weld")]) == []
    assert p.take_decisions()[-1].action == "no_reroute"
    # planned stops and stations outside branches are not rerouted
    assert p.on_events([ev("down", "ub_20", cause="weld")]) == []
    assert p.on_events([PlantEvent(0, 0.0, "down", "rs_a10", None,
                                   {"planned": True, "cause": "maintenance"})]) == []


def test_admin_holds_and_policy_holds() -> None:
    p = Policies(PolicySettings(), TOPO)
    assert p.admin("rs_a10", "stop", "api:admin") == [("rs_a10", "stop")]
    assert p.on_events([ev("down", "rs_a20", cause="weld")]) == []  # held already
    assert p.on_events([ev("up", "rs_a20", cause="weld", duration_s=1.0)]) == []  # admin's
    assert p.admin("rs_a10", "start", "api:admin") == [("rs_a10", "start")]
    p.on_events([ev("down", "rs_a20", cause="weld")])
    assert p.admin("rs_a10", "reset", "api:admin") == [("rs_a10", "reset")]
    lifted = p.take_decisions()[-1]
    assert lifted.action == "lift_holds" and lifted.actor == "api:admin"


def test_wip_cap_decides_on_the_transitions_only() -> None:
    p = Policies(PolicySettings(wip_cap=10), TOPO)
    assert [p.release_allowed(w) for w in (8, 9, 10, 11, 10, 9, 8)] == \
        [True, True, False, False, False, True, True]
    assert [d.action for d in p.take_decisions()] == ["hold_release", "resume_release"]


def test_option_station_impaired_and_restored() -> None:
    p = Policies(PolicySettings(), TOPO)
    p.on_events([ev("down", "tr_20", cause="cell")])
    assert p.impaired_options == {"pano_roof": "tr_20"} and p.resequence
    p.resequence = False
    p.on_events([ev("up", "tr_20", cause="cell", duration_s=9.0)])
    assert p.impaired_options == {} and p.resequence


def test_intake_lists_every_problem_with_its_field() -> None:
    with pytest.raises(InputError) as err:
        check_orders(PLANT, [OrderIn("m5_bev", "white", order_id="A"),
                             OrderIn("m9", "white", ("hud", "hud"), order_id="A")])
    fields = [p.field for p in err.value.problems]
    assert fields == ["orders[1].variant", "orders[1].options", "orders[1].order_id"]
    assert err.value.more == 2
    check_orders(PLANT, [OrderIn("m7_bev", "red", ("awd", "hud"))])


def test_vins_carry_a_valid_check_digit_and_never_repeat() -> None:
    vins = {make_vin(n, "m5_bev") for n in (1, 2, 999_999, 1_000_000, 1_000_001, 5_000_000)}
    assert len(vins) == 6
    assert all(len(v) == 17 and check_digit(v) == v[8] for v in vins)
    assert not any(c in v for v in vins for c in "IOQ")
    assert check_digit("1M8GDM9AXKP042788") == "X"  # the textbook example
    with pytest.raises(ValueError):
        make_vin(0, "x")
