"""The compiled planner (numba) gives the pure-Python reference's routes to the last bit.

Both cores get the same randomized task streams - chains from home, re-plans from a
random node in the middle of a running route (many fail with NoRouteError), releases
with and without a held node - on the reference plant's network and on random grids
with one-way and two-way edges; every route, exception, hold table and free-interval
answer must be equal (floats compared with ``==``, i.e. bit for bit)."""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from taktline.errors import NoRouteError
from taktline.plan.dispatch import (
    Dispatcher,
    PathNetwork,
    Planner,
    PythonPlanner,
    make_planner,
)
from taktline.plant.load import load_plant


def grid(seed: int, w: int, h: int) -> PathNetwork:
    """A w x h grid (10 m spacing) with a random third of its edges one-way."""
    rng = random.Random(seed)
    name = [[f"n{x}_{y}" for y in range(h)] for x in range(w)]
    nodes = [
        (name[x][y], 10.0 * x, 10.0 * y, rng.random() < 0.2) for x in range(w) for y in range(h)
    ]
    edges: list[tuple[str, str, float | None, bool]] = []
    for x in range(w):
        for y in range(h):
            for nx, ny in ((x + 1, y), (x, y + 1)):
                if nx < w and ny < h:
                    a, b = name[x][y], name[nx][ny]
                    if rng.random() < 0.5:
                        a, b = b, a
                    length = None if rng.random() < 0.7 else rng.uniform(5.0, 30.0)
                    edges.append((a, b, length, rng.random() >= 1 / 3))
    return PathNetwork.build(nodes, edges, home=name[0][0])


def stream(planner: Any, net: PathNetwork, seed: int, tasks: int) -> list[Any]:
    """Drive one planner with a random task stream; everything it answers, in order."""
    rng = random.Random(seed)
    n_agvs, n = planner.n_agvs, net.n_nodes
    out: list[Any] = []
    now = 0.0
    for _ in range(tasks):
        now += rng.expovariate(1 / 15)
        a = rng.randrange(n_agvs)
        r = planner.routes[a]
        roll = rng.random()
        if roll < 0.06:
            node = rng.randrange(n) if rng.random() < 0.7 else None
            planner.release(a, now, node)
            out.append(("release", a, node))
            continue
        if r is None or roll < 0.5:
            start, t0 = (net.home, now) if r is None else (r.visits[-1].node, max(now, r.end))
        else:  # re-plan in the middle of the running route, from anywhere
            start, t0 = rng.randrange(n), now
        stops = [(rng.randrange(n), rng.choice([0.0, 7.5, 20.0])) for _ in range(rng.randrange(4))]
        end = None if rng.random() < 0.8 else rng.randrange(n)
        try:
            out.append(planner.plan(a, start, t0, stops, end))
        except NoRouteError as e:
            out.append(("NoRouteError", str(e)))
        node = rng.randrange(n)
        e = rng.randrange(len(net.edge_ends))
        out.append(planner.free_intervals(node, a))
        way = rng.choice([1, -1])
        out.append(planner.edge_free_from(e, a, now + rng.uniform(0, 300), 12.5, way))
        out.append(([list(h) for h in planner.node_holds], [list(h) for h in planner.edge_holds]))
    return out


def compare(
    net: PathNetwork, n_agvs: int, speed: float, seed: int, tasks: int, gap: float = 5.0
) -> int:
    """Run both cores on one stream; asserts equal answers, returns how many plans failed."""
    ref = stream(PythonPlanner(net, n_agvs, speed, gap, 600.0), net, seed, tasks)
    got = stream(Planner(net, n_agvs, speed, gap, 600.0), net, seed, tasks)
    assert len(got) == len(ref)
    for k, (x, y) in enumerate(zip(ref, got, strict=True)):
        assert x == y, f"seed {seed}: answer {k} differs"
    return sum(1 for x in ref if isinstance(x, tuple) and x[:1] == ("NoRouteError",))


def test_cores_agree_on_reference_plant() -> None:
    net = PathNetwork.from_fleet(load_plant(None).fleets[0])
    failed = sum(compare(net, n, 1.2, seed, 500) for seed, n in ((1, 3), (2, 6), (3, 12), (4, 24)))
    assert failed > 0  # the streams do exercise re-plans that fail


@pytest.mark.parametrize("seed", range(11, 19))
def test_cores_agree_on_random_grids(seed: int) -> None:
    net = grid(seed, 3 + seed % 3, 4)
    assert not all(net.edge_two_way) and any(net.edge_two_way)
    gap = (0.0, 1.0, 5.0, 12.5)[seed % 4]  # no gap: holds may touch, ties everywhere
    failed = compare(net, 2 + seed % 4, 1.0 + 0.25 * (seed % 3), seed, 400, gap)
    assert failed > 0


def answer(planner: Any, op: tuple[int, int, int, int, float, float, bool]) -> Any:
    agv, a, b, c, dt, dwell, replan = op
    n = planner.net.n_nodes
    if replan:  # anywhere, at the given time: often fails
        start, t0 = a % n, dt
    else:
        r = planner.routes[agv]
        start, t0 = (planner.net.home, dt) if r is None else (r.visits[-1].node, r.end + dt)
    try:
        return planner.plan(agv, start, t0, [(b % n, dwell), (c % n, dwell)])
    except NoRouteError as e:
        return str(e)


@settings(max_examples=80, deadline=None)
@given(
    n_nodes=st.integers(2, 7),
    extra=st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6), st.booleans()), max_size=8),
    ops=st.lists(
        st.tuples(
            st.integers(0, 3), st.integers(0, 6), st.integers(0, 6), st.integers(0, 6),
            st.floats(0, 60), st.sampled_from([0.0, 1.0, 5.0]), st.booleans(),
        ),
        min_size=1,
        max_size=30,
    ),
)
def test_cores_agree_on_hypothesis_networks(
    n_nodes: int,
    extra: list[tuple[int, int, bool]],
    ops: list[tuple[int, int, int, int, float, float, bool]],
) -> None:
    ids = [f"v{i}" for i in range(n_nodes)]
    nodes = [(x, 6.0 * i, 2.0 * (i % 2), False) for i, x in enumerate(ids)]
    edges: list[tuple[str, str, float | None, bool]] = [
        (ids[i], ids[i + 1], None, True) for i in range(n_nodes - 1)
    ]
    edges += [(ids[a], ids[b], 6.0, two) for a, b, two in extra if a < n_nodes and b < n_nodes]
    net = PathNetwork.build(nodes, edges, home="v0")
    ref, got = PythonPlanner(net, 4, 1.0, 1.0), Planner(net, 4, 1.0, 1.0)
    for op in ops:
        assert answer(ref, op) == answer(got, op)
        assert ref.node_holds == got.node_holds and ref.edge_holds == got.edge_holds


def test_dispatcher_runs_the_compiled_core() -> None:
    net = PathNetwork.from_fleet(load_plant(None).fleets[0])
    a, b = Dispatcher(net, 8, 1.2), Dispatcher(net, 8, 1.2)
    b.planner = make_planner(net, 8, 1.2, core="python")  # type: ignore[assignment]
    assert isinstance(a.planner, Planner)
    rng = random.Random(5)
    now = 0.0
    for _ in range(150):
        now += rng.expovariate(1 / 20)
        p, d = rng.sample(range(net.n_nodes), 2)
        assert a.submit(p, d, 20.0, 20.0, now) == b.submit(p, d, 20.0, 20.0, now)
    assert a.history == b.history and a.kept == b.kept
    with pytest.raises(ValueError, match="core"):
        make_planner(net, 1, 1.0, core="fortran")
