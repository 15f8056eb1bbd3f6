"""The AGV planner: reservations never overlap, every chain completes, the dispatch rule."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from taktline.analysis.fleet import check_occupancy, route_occupancy
from taktline.errors import NoRouteError
from taktline.plan.dispatch import (
    AgvStatus,
    BatteryPolicy,
    PathNetwork,
    Planner,
    Route,
    choose_agv,
    choose_charger,
)
from taktline.plant.load import load_plant

GAP = 1.0


def corridor(n: int = 4) -> PathNetwork:
    """home - a - b - c ... a straight two-way corridor of 10 m edges, home at one end."""
    ids = ["home", *(f"n{i}" for i in range(n))]
    nodes = [(name, 10.0 * i, 0.0, i == 0) for i, name in enumerate(ids)]
    edges = [(ids[i], ids[i + 1], None, True) for i in range(n)]
    return PathNetwork.build(nodes, edges, home="home")


def assert_safe(planner: Planner, routes: list[Route]) -> None:
    occ = route_occupancy(routes)
    assert check_occupancy(occ, [planner.net.home], gap=GAP * 0.999) == []


def test_network_from_reference_plant() -> None:
    fleet = load_plant(None).fleets[0]
    net = PathNetwork.from_fleet(fleet)
    assert net.ids[net.home] == fleet.home
    assert len(net.edge_ends) == len(fleet.network.edges)
    a, b = net.index["pbs_out"], net.index["c_out"]
    path = net.path(a, b)
    assert path[0] == a and path[-1] == b
    length = sum(float(np.hypot(*(net.xy[u] - net.xy[v]))) for u, v in itertools.pairwise(path))
    assert length == pytest.approx(net.dist[a, b])


def test_head_on_corridor_waits_and_same_way_follows() -> None:
    net = corridor()
    p = Planner(net, 3, speed=1.0, gap=GAP)
    far = net.index["n3"]
    p.release(1, 0.0, far)  # AGV 1 stands at the far end
    r1 = p.plan(1, far, 0.0, [])  # ... and drives home through the corridor
    r0 = p.plan(0, net.home, 0.0, [(far, 5.0)])  # AGV 0 wants to go the other way
    # no head-on meeting: AGV 0 enters the first edge only after AGV 1 has left it
    assert r1.end == pytest.approx(40.0)
    assert r0.visits[0].depart >= r1.end + GAP * 0.999
    # same way: AGV 2 follows AGV 0 out, GAP behind it, without waiting for the edge
    r2 = p.plan(2, net.home, 0.0, [(net.index["n1"], 5.0)])
    assert r2.visits[0].depart == pytest.approx(r0.visits[0].depart + GAP)
    assert_safe(p, [r0, r1, r2])


def test_crossing_waits_instead_of_colliding() -> None:
    # a plus-shaped crossing: west-centre-east and north-centre-south, home off the centre
    nodes = [
        ("home", 0.0, -20.0, True),
        ("w", -10.0, 0.0, False),
        ("e", 10.0, 0.0, False),
        ("n", 0.0, 10.0, False),
        ("s", 0.0, -10.0, False),
        ("c", 0.0, 0.0, False),
    ]
    edges = [(x, "c", None, True) for x in "wens"] + [("home", "s", None, True)]
    net = PathNetwork.build(nodes, edges, home="home")
    p = Planner(net, 2, speed=1.0, gap=GAP)
    p.release(0, 0.0, net.index["w"])
    p.release(1, 0.0, net.index["n"])
    # both drive through the centre at the same moment if nobody waits
    r0 = p.plan(0, net.index["w"], 0.0, [(net.index["e"], 0.0)])
    r1 = p.plan(1, net.index["n"], 0.0, [(net.index["s"], 0.0)])
    assert_safe(p, [r0, r1])
    c = net.index["c"]
    t0 = next(v for v in r0.visits if v.node == c)
    t1 = next(v for v in r1.visits if v.node == c)
    assert t1.arrive >= t0.depart + GAP * 0.999


def test_parked_agv_is_routed_around_or_waited_for() -> None:
    # a ring with a parked AGV on one side: the others take the other way round
    ids = ["home", "a", "b", "c", "d"]
    nodes = [(x, math.cos(i * 1.2566), math.sin(i * 1.2566), False) for i, x in enumerate(ids)]
    nodes = [(x, 10 * cx, 10 * cy, ch) for x, cx, cy, ch in nodes]
    edges = [(ids[i], ids[(i + 1) % 5], None, True) for i in range(5)]
    net = PathNetwork.build(nodes, edges, home="home")
    p = Planner(net, 2, speed=1.0, gap=GAP)
    p.release(0, 0.0, net.index["a"])  # broken down on node a, forever
    r = p.plan(1, net.home, 0.0, [(net.index["b"], 3.0)])
    assert net.index["a"] not in [v.node for v in r.visits]
    assert r.edges  # it got there the long way
    with pytest.raises(NoRouteError):
        p.plan(1, net.home, 100.0, [(net.index["a"], 3.0)])
    # the failed plan left the previous one in place
    assert p.routes[1] is r


def test_many_agvs_on_a_ring_all_finish_without_conflicts() -> None:
    n = 8
    ids = ["home", *(f"r{i}" for i in range(n))]
    nodes = [("home", 0.0, 0.0, True)] + [
        (f"r{i}", 30 * math.cos(2 * math.pi * i / n), 30 * math.sin(2 * math.pi * i / n), False)
        for i in range(n)
    ]
    edges = [(ids[1 + i], ids[1 + (i + 1) % n], None, False) for i in range(n)]
    edges += [("home", "r0", None, True), ("home", "r4", None, True)]
    net = PathNetwork.build(nodes, edges, home="home")
    p = Planner(net, 12, speed=1.5, gap=GAP)
    routes = []
    for k in range(60):
        agv = k % 12
        prev = p.routes[agv]
        t0 = max(k * 2.0, prev.end if prev else 0.0)
        stops = [(1 + (3 * k) % n, 10.0), (1 + (5 * k + 2) % n, 10.0)]
        routes.append(p.plan(agv, net.home, t0, stops))
    assert_safe(p, routes)
    assert all(r.visits[-1].node == net.home for r in routes)


def test_replan_from_next_node_keeps_the_chain_consistent() -> None:
    net = corridor(6)
    p = Planner(net, 2, speed=1.0, gap=GAP)
    r0 = p.plan(0, net.home, 0.0, [(net.index["n5"], 2.0)])
    r1 = p.plan(1, net.home, 0.0, [(net.index["n2"], 2.0)])
    # on its way home AGV 0 gets a new task: re-plan from the node it reaches next
    back = next(v for v in r0.visits if v.node == net.index["n3"] and v.arrive > 60)
    r0b = p.plan(0, back.node, back.arrive, [(net.index["n4"], 2.0)])
    assert r0b.visits[0].node == back.node
    assert_safe(p, [r1, r0b])


@settings(max_examples=60, deadline=None)
@given(
    n_nodes=st.integers(3, 8),
    extra=st.lists(st.tuples(st.integers(0, 7), st.integers(0, 7)), max_size=6),
    tasks=st.lists(
        st.tuples(st.integers(0, 5), st.integers(0, 7), st.integers(0, 7), st.floats(0, 30)),
        min_size=1,
        max_size=25,
    ),
)
def test_random_tasks_never_overlap_and_always_complete(
    n_nodes: int, extra: list[tuple[int, int]], tasks: list[tuple[int, int, int, float]]
) -> None:
    ids = [f"v{i}" for i in range(n_nodes)]
    nodes = [(x, 7.0 * i, 3.0 * (i % 2), i == 0) for i, x in enumerate(ids)]
    edges = [(ids[i], ids[i + 1], None, True) for i in range(n_nodes - 1)]  # connected
    edges += [(ids[a], ids[b], None, True) for a, b in extra if a < b < n_nodes and b > a + 1]
    net = PathNetwork.build(nodes, edges, home="v0")
    p = Planner(net, 6, speed=1.0, gap=GAP)
    routes: list[Route] = []
    now = 0.0
    for agv, pick, drop, dt in tasks:
        now += dt
        prev = p.routes[agv]
        t0 = max(now, prev.end if prev else 0.0)
        r = p.plan(agv, net.home, t0, [(pick % n_nodes, 5.0), (drop % n_nodes, 5.0)])
        assert r.visits[-1].node == net.home and math.isfinite(r.end)
        assert r.stop_visit(0).node == pick % n_nodes
        assert r.stop_visit(1).node == drop % n_nodes
        routes.append(r)
    assert_safe(p, routes)


def test_check_occupancy_finds_a_corrupted_overlap() -> None:
    occ = [("node", 3, 0, 0.0, 5.0, 0), ("node", 3, 1, 4.0, 8.0, 0), ("edge", 1, 0, 5.0, 9.0, 1)]
    found = check_occupancy(occ)
    assert len(found) == 1 and found[0].resource == 3
    assert check_occupancy(occ, exempt_nodes=[3]) == []


def test_choose_agv_nearest_idle_and_look_ahead() -> None:
    net = corridor(6)
    far, near = net.index["n5"], net.index["n1"]
    agvs = [
        AgvStatus(free_at=0.0, node=far, idle=True),
        AgvStatus(free_at=5.0, node=near, idle=False),  # busy, frees up 5 s from now
    ]
    pickup = net.index["n0"]
    assert choose_agv(agvs, pickup, 0.0, net.dist, 1.0) == 0  # plain nearest idle
    assert choose_agv(agvs, pickup, 0.0, net.dist, 1.0, horizon=10.0) == 1  # look-ahead wins
    late = [agvs[0], AgvStatus(free_at=60.0, node=near, idle=False)]
    assert choose_agv(late, pickup, 0.0, net.dist, 1.0, horizon=100.0) == 0
    assert (
        choose_agv([AgvStatus(0.0, pickup, True, must_charge=True)], pickup, 0.0, net.dist, 1.0)
        is None
    )


def test_battery_policy_and_charger_choice() -> None:
    b = BatteryPolicy(low=30, resume=90)
    assert b.needs_charge(30.0) and not b.needs_charge(31.0)
    assert b.charged(90.0) and not b.charged(89.0)
    assert b.after(50.0, 1000.0, 0.0) == pytest.approx(48.0)
    assert b.charge_time(40.0) == pytest.approx(1000.0)
    net = corridor(4)
    assert choose_charger(net, net.index["n3"]) == net.home
    assert choose_charger(net, net.index["n3"], busy=[net.home]) is None
