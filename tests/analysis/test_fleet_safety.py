"""A simulated week of the reference plant's transport tasks, driven by the fleet
decisions: no two AGVs on one node or edge at once, every task finished, nobody stuck.

The twin (compiled engine) simulates the week; its transport tasks, at the times it gave
them out, go again through a ``plan.dispatch.Dispatcher`` with look-ahead (busy AGVs
that finish within 60 s may be chosen; the twin's own fleet uses none) - dispatch rule,
reserved chains, re-plans and fallbacks - as the fleet manager would take them. The
twin's own closed-loop week is in ``tests/sim/test_agv_reserved.py``."""

from __future__ import annotations

import numpy as np
import pytest

from taktline import load_plant
from taktline.analysis.fleet import check_safety, route_occupancy
from taktline.plan.dispatch import Dispatcher, PathNetwork, Route
from taktline.sim.run import run_twin

GAP = 5.0  # the planner default, as in docs/fleet.md


@pytest.fixture(scope="module")
def week() -> tuple[Dispatcher, list[Route], int]:
    plant = load_plant()
    run = run_twin(plant, horizon_s=7 * 86400.0, seed=1)
    fleet = plant.fleets[0]
    net = PathNetwork.from_fleet(fleet)
    node_of = {b.id: b.node for b in plant.buffers}
    moves = [(net.index[node_of[m.from_]], net.index[node_of[m.to]]) for m in fleet.moves]
    tb = run.records.table("transport")
    times, move_ids = tb.column("dispatched"), tb.column("move")
    order = np.argsort(times, kind="stable")
    d = Dispatcher(net, fleet.size, fleet.speed, gap=GAP, horizon=60.0)
    routes = []
    for i in order:  # the twin's tasks in the order it gave them out
        pick, drop = moves[int(move_ids[i])]
        routes.append(d.submit(pick, drop, 20.0, 20.0, float(times[i])))
    return d, routes, len(order)


def test_week_of_reference_plant_is_safe(week: tuple[Dispatcher, list[Route], int]) -> None:
    d, routes, n = week
    assert n > 5000  # a real week: thousands of transports
    driven = [r for hist in d.history for r in hist]
    occ = route_occupancy(driven)
    tasks = [(r.visits[0].arrive, r.stop_visit(1).depart) for r in routes]
    last = [(hist[-1].visits[-1].node, False) for hist in d.history if hist]
    report = check_safety(occ, [d.net.home], tasks, last, gap=GAP * 0.999)
    assert report.ok, report.conflicts[:3]
    assert all(np.isfinite(t[1]) for t in tasks)


def test_check_fails_on_corrupted_records(week: tuple[Dispatcher, list[Route], int]) -> None:
    d, _routes, _ = week
    occ = route_occupancy([r for hist in d.history for r in hist])
    # move one AGV's edge hold onto the time of another AGV's hold of the same edge
    edges = [o for o in occ if o[0] == "edge"]
    a = edges[0]
    b = next(o for o in edges if o[1] == a[1] and o[2] != a[2])
    bad = [*occ, ("edge", a[1], a[2], b[3], b[4], -b[5])]
    report = check_safety(bad, [d.net.home], [], [], gap=GAP * 0.999)
    assert not report.ok and report.conflicts[0].resource == a[1]
    # a task that never finished and an AGV left idle off its parking node
    report = check_safety(occ, [d.net.home], [(0.0, None)], [(0, False)], gap=GAP * 0.999)
    assert report.unfinished == (0,) and report.stuck == (0,)
