"""The reference engine's AGVs on reserved chains (closed loop): a week of the reference
plant, then the safety check on what they drove."""

from __future__ import annotations

import numpy as np

from taktline import load_plant
from taktline.analysis.fleet import check_safety, route_occupancy
from taktline.plan.dispatch import PathNetwork
from taktline.sim.agv import IDLE
from taktline.sim.model import Model
from taktline.sim.reserved import reserve_routes

WEEK = 7 * 86400.0


def test_week_on_reserved_routes_is_safe_and_produces() -> None:
    plant = load_plant()
    model = Model(plant, 1)
    net = PathNetwork.from_fleet(plant.fleets[0])
    routing = reserve_routes(model.fleets[0], net, gap=5.0)
    model.begin()
    model.kernel.run(WEEK)
    model.finish()
    driven = [r for hist in routing.dispatcher.history for r in hist]
    occ = route_occupancy(driven)
    # tasks raised in the last hour may still be under way at the end of the week
    tasks = [t for t in routing.tasks if t[0] < WEEK - 3600.0]
    last = [(h[-1].visits[-1].node, False) for h in routing.dispatcher.history if h]
    report = check_safety(occ, [net.home], tasks, last, gap=5.0 * 0.999)
    assert report.ok, (report.conflicts[:3], report.unfinished[:3], report.stuck)
    assert len(tasks) > 10_000 and len(occ) > 50_000
    # the line kept producing, and the transports the twin recorded are the chains' own
    assert len(model.log.table("dispatch")) > 2000
    tb = model.log.table("transport")
    assert len(tb) == sum(1 for t in routing.tasks if t[1] is not None)
    assert np.all(tb.column("picked") >= tb.column("dispatched"))
    assert np.all(tb.column("dropped") > tb.column("picked"))
    states = model.log.table("agv").column("state")
    assert set(np.unique(states)) == {0, 1, 2, 3, 4} and IDLE == 0


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


def test_the_plant_format_switches_it_on_and_it_runs_on_the_reference_engine() -> None:
    from taktline import parse_plant, run_twin
    from taktline.errors import PlantError
    from taktline.plant import plant_path

    text = plant_path(None).read_text()
    anchor = "    speed: 1.2"
    assert anchor in text
    reserved = parse_plant(text.replace(anchor, "    routing: reserved\n    gap_s: 4\n" + anchor))
    assert reserved.fleets[0].routing == "reserved" and reserved.fleets[0].gap_s == 4.0
    assert "agv" in Model(reserved, 2).routing and not Model(load_plant(), 2).routing
    run = run_twin(reserved, horizon_s=8 * 3600.0, seed=2)  # asks for the compiled engine
    assert run.engine == "reference"
    free = run_twin(load_plant(), horizon_s=8 * 3600.0, seed=2, engine="reference")
    a, b = run.records.table("transport"), free.records.table("transport")
    assert len(a) > 100 and len(b) > 100
    # waiting for reservations makes transports take longer than free travel
    da = a.column("dropped") - a.column("dispatched")
    db = b.column("dropped") - b.column("dispatched")
    assert float(np.mean(da)) > float(np.mean(db))
    try:
        parse_plant(text.replace(anchor, "    routing: convoy\n" + anchor), "p.yaml")
    except PlantError as exc:
        assert "routing" in str(exc) and "p.yaml" in str(exc)
    else:
        raise AssertionError("an unknown routing was accepted")
