"""AGV dispatch and routing decisions per second on the reference plant's network.

Loads the reference plant through the public plant format, sets its fleet's size to
20, 50 and 100 AGVs, and feeds the decision core (``taktline.plan.dispatch``) a stream
of transport tasks drawn from the fleet's moves (pickup and drop nodes of their
buffers), arriving as fast as the fleet can serve them. Every task is one dispatch
decision (``choose_agv``, nearest idle with look-ahead) and one routing decision
(``Planner.plan``: the reserved chain to pickup, load, drop, unload, home). A busy AGV
chosen by look-ahead is re-planned from its drop node. The routes are checked for
conflicts at the end (outside the timing).

    .venv/bin/python bench/fleet.py [--tasks 5000] [--sizes 20 50 100] [--seed 1]
        [--core numba|python]

``--core python`` runs the pure-Python reference planner (same routes, slower).
"""

from __future__ import annotations

import argparse
import random
import time

from taktline import load_plant
from taktline.analysis.fleet import check_occupancy, route_occupancy
from taktline.errors import NoRouteError
from taktline.plan.dispatch import AgvStatus, PathNetwork, choose_agv, make_planner
from taktline.plant.schema import Plant


def run(
    size: int, tasks: int, seed: int, core: str = "numba"
) -> tuple[float, float, int, float, int]:
    base = load_plant()
    data = base.model_dump(by_alias=True)
    data["fleets"][0]["size"] = size
    plant = Plant.model_validate(data)
    fleet = plant.fleets[0]
    net = PathNetwork.from_fleet(fleet)
    node_of = {b.id: b.node for b in plant.buffers}
    moves = [(net.index[node_of[m.from_]], net.index[node_of[m.to]]) for m in fleet.moves]
    load = unload = 20.0
    planner = make_planner(net, size, fleet.speed, core=core)
    rng = random.Random(seed)
    # arrivals at about 90 % of what the fleet can carry (mean task ~ 4 min of driving)
    gap = 240.0 / size / 0.9
    now, routes, dispatch_s, plan_s, fallbacks = 0.0, [], 0.0, 0.0, 0
    for _ in range(tasks):
        now += rng.expovariate(1.0 / gap)
        pick, drop = rng.choice(moves)
        status = []
        for a in range(size):
            r = planner.routes[a]
            if r is None or r.end <= now:
                status.append(AgvStatus(now, net.home, True))
            else:
                dv = r.visits[-2] if len(r.visits) > 1 else r.visits[-1]
                status.append(AgvStatus(dv.depart, dv.node, False))
        t0 = time.perf_counter()
        a = choose_agv(status, pick, now, net.dist, fleet.speed, horizon=60.0)
        t1 = time.perf_counter()
        dispatch_s += t1 - t0
        if a is None:
            continue
        st = status[a]
        start, at = (net.home, now) if st.idle else (st.node, max(now, st.free_at))
        routes_before = planner.routes[a]
        stops = [(pick, load), (drop, unload)]
        t1 = time.perf_counter()
        try:
            route = planner.plan(a, start, at, stops)
            if routes_before is not None and not st.idle:
                routes[-1 - routes[::-1].index(routes_before)] = routes_before.until(at)
        except NoRouteError:  # no chain fits from the drop node: the old plan stays,
            fallbacks += 1  # the task starts from home when the AGV is back
            assert routes_before is not None
            route = planner.plan(a, net.home, routes_before.end, stops)
        plan_s += time.perf_counter() - t1
        routes.append(route)
    conflicts = len(check_occupancy(route_occupancy(routes), [net.home], gap=planner.gap * 0.999))
    return tasks / dispatch_s, tasks / plan_s, conflicts, now, fallbacks


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tasks", type=int, default=5000)
    ap.add_argument("--sizes", type=int, nargs="+", default=[20, 50, 100])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--core", choices=["numba", "python"], default="numba")
    args = ap.parse_args()
    print(f"{'AGVs':>5} {'dispatch/s':>12} {'routing/s':>10} {'re-plan kept':>12} "
          f"{'conflicts':>9} {'plant h':>8}")
    for n in args.sizes:
        d, r, c, t, f = run(n, args.tasks, args.seed, args.core)
        print(f"{n:>5} {d:>12,.0f} {r:>10,.0f} {f:>12} {c:>9} {t / 3600:>8.1f}", flush=True)


if __name__ == "__main__":
    main()
