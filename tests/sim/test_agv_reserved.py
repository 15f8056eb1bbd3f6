"""The twin's AGVs on reserved chains (closed loop): a week of the reference plant, then
the safety check on the routes the run recorded."""

from __future__ import annotations

import numpy as np
import pytest

from taktline import load_plant
from taktline.analysis.fleet import check_occupancy, run_safety, visit_occupancy
from taktline.plan.dispatch import PathNetwork
from taktline.sim.agv import IDLE
from taktline.sim.model import Model
from taktline.sim.reserved import reserve_routes
from taktline.sim.run import Run, run_twin

WEEK = 7 * 86400.0


@pytest.fixture(scope="module")
def week() -> Run:
    """A week of the reference plant (its AGVs drive reserved chains), compiled engine."""
    return run_twin(load_plant(), horizon_s=WEEK, seed=1)


def test_week_on_reserved_routes_is_safe_and_produces(week: Run) -> None:
    """The safety check on the run's own records: no two AGVs on one node or edge at once
    (5 s apart on nodes and following on an edge, never head-on), every transport task
    planned to end an hour before the horizon ended, no AGV left off its parking node."""
    assert week.engine == "compiled"
    net = PathNetwork.from_fleet(week.plant.fleets[0])
    report = run_safety(week.records, 0, [net.home], WEEK, gap=5.0 * 0.999)
    assert report.ok, (report.conflicts[:3], report.unfinished[:3], report.stuck)
    tb = week.records.table("transport")
    occ = visit_occupancy(week.records)
    assert len(tb) > 20_000 and len(occ) > 200_000
    drops = np.count_nonzero(week.records.table("visit").column("stops") & 2)
    assert len(tb) <= drops <= len(tb) + 10  # the rest are drops under way at the horizon
    # the line kept producing at the designed rate, as with free AGVs
    assert week.completed > 0.95 * 7 * 24 * 30 * (1 - 8 / (7 * 24))
    assert np.all(tb.column("picked") >= tb.column("dispatched"))
    assert np.all(tb.column("dropped") > tb.column("picked"))
    states = week.records.table("agv").column("state")
    assert set(np.unique(states)) == {0, 1, 2, 3, 4} and IDLE == 0


def test_the_check_finds_a_clash_planted_in_the_records(week: Run) -> None:
    """Move one AGV's visit of a busy node onto another AGV's visit of it: a conflict."""
    log = week.records
    net = PathNetwork.from_fleet(week.plant.fleets[0])
    v = log.table("visit")
    node, agv = v.column("node"), v.column("agv")
    busy = int(net.index["t_out"])
    at = np.flatnonzero(node == busy)
    i = int(at[0])
    other = int(next(agv[k] for k in at if agv[k] != agv[i]))
    occ = visit_occupancy(log)
    planted = [*occ, ("node", busy, other, float(v.column("arrive")[i]),
                      float(v.column("depart")[i]), 0)]
    assert check_occupancy(occ, [net.home], 5.0 * 0.999) == []
    clash = check_occupancy(planted, [net.home], 5.0 * 0.999)
    assert clash and {c.resource for c in clash} == {busy}


def _day(seed: int) -> tuple[np.ndarray, np.ndarray]:
    plant = load_plant()
    model = Model(plant, seed)
    reserve_routes(model.fleets[0], PathNetwork.from_fleet(plant.fleets[0]))
    model.begin()
    model.kernel.run(86400.0)
    model.finish()
    tb = model.log.table("transport")
    return tb.column("dropped"), model.log.table("dispatch").column("time")


def test_reserved_routes_are_deterministic() -> None:
    a, b, c = _day(3), _day(3), _day(4)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])


def test_the_plant_format_switches_it_on() -> None:
    from taktline import parse_plant, run_twin
    from taktline.errors import PlantError
    from taktline.plant import plant_path

    text = plant_path(None).read_text()
    anchor = "    routing: reserved"
    assert anchor in text  # the reference plant's AGVs drive reserved chains
    rp = parse_plant(text.replace(anchor, anchor + "\n    gap_s: 4"))
    fp = parse_plant(text.replace(anchor, "    routing: free"))
    assert rp.fleets[0].routing == "reserved" and rp.fleets[0].gap_s == 4.0
    assert fp.fleets[0].routing == "free" and load_plant().fleets[0].gap_s == 5.0
    assert "agv" in Model(rp, 2).routing and not Model(fp, 2).routing
    run = run_twin(rp, horizon_s=8 * 3600.0, seed=2)
    assert run.engine == "compiled" and len(run.records.table("visit")) > 1000
    free = run_twin(fp, horizon_s=8 * 3600.0, seed=2)
    assert len(free.records.table("visit")) == 0
    a, b = run.records.table("transport"), free.records.table("transport")
    assert len(a) > 100 and len(b) > 100
    # chains start from home and wait for reservations: transports take longer than
    # free travel from wherever the AGV last unloaded
    da = a.column("dropped") - a.column("dispatched")
    db = b.column("dropped") - b.column("dispatched")
    assert float(np.mean(da)) > float(np.mean(db))
    try:
        parse_plant(text.replace(anchor, "    routing: convoy\n" + anchor), "p.yaml")
    except PlantError as exc:
        assert "routing" in str(exc) and "p.yaml" in str(exc)
    else:
        raise AssertionError("an unknown routing was accepted")
