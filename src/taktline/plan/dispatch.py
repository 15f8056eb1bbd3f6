"""AGV decisions: which vehicle takes a task, which way it drives and when it charges.

Everything here is pure decision logic over a plant's path network; the twin
(``sim/agv.py``) and the fleet manager (``ops/fleet/``) both call it.

**Network.** :meth:`PathNetwork.from_fleet` turns ``taktline.plant.fleet.Fleet`` into
node indices, coordinates, undirected edges (``two_way: false`` edges may only be
driven ``from`` -> ``to``) and all-pairs shortest distances.

**Reservations.** A :class:`Planner` keeps, for every node and every edge, the time
intervals for which some AGV holds it. An AGV holds a node from its arrival to its
departure and an edge from entering to leaving it. Two AGVs may drive one edge the
same way if they enter it at least ``gap`` seconds apart (all drive at the fleet's
speed and never stop on an edge, so they stay that far apart); an AGV never enters an
edge while another drives it the other way (no head-on meeting, no swap), and holds of
one node by different AGVs are at least ``gap`` seconds apart (the time a vehicle's
length takes to clear a point). The fleet's
``home`` (the parking area) is exempt from node holds: any number of AGVs may park
there; the edges into and out of it are not exempt.

**Routing.** :meth:`Planner.plan` plans one task as one chain: from the AGV's node at
``t0`` through the stops (pickup, dwell for loading, drop, dwell for unloading ...)
and on to home, earliest arrival first, with safe-interval path planning (SIPP): a
search over (stage, node, free interval of that node) with waiting allowed wherever
the node stays free. It is complete for the reservations it sees: when the chain can be
driven at all without touching another AGV's holds, it is found. The chain is then
reserved; the AGV's earlier reservations from ``t0`` on are replaced. If no chain
exists the old reservations stay and :class:`~taktline.errors.NoRouteError` is raised.

**Why no collision and no deadlock.** Every AGV always holds one complete plan that
ends at home; all holds are finite (except a node held by :meth:`Planner.release`
with ``hold=True`` for a broken vehicle, which others then route around). A new plan
only uses time windows nobody else holds, so no two AGVs share a node or edge. Nobody
ever waits for another AGV to move: the waits are in the plan, against known finite
holds, so there is no waits-for cycle. And a plan always exists for an AGV at home:
after the last finite hold ends the network is empty (home's own edges aside from
permanent holds) and the AGV can drive its chain then.

**Dispatch rule** (:func:`choose_agv`): a task at pickup node ``p`` released at
``now`` goes to the AGV with the earliest estimated arrival at ``p``:
``max(now, free_at) + dist[free_node][p] / speed``, where an idle AGV has
``free_at = now`` and ``free_node`` its node, and a busy AGV (look-ahead) has the time
and node at which its current task ends (after unloading). Busy AGVs are only
considered while ``free_at - now <= horizon``; AGVs that must charge are never
chosen. Ties go to the idle AGV, then the lower number. With ``horizon = 0`` this is
plain nearest-idle.

**Batteries** (:class:`BatteryPolicy`): an AGV whose charge falls to ``low`` percent
goes to the nearest free charger node (:func:`choose_charger`) and takes no tasks
until it reaches ``resume`` percent.

Times are plant seconds, as floats. A plan may start at most ``memory`` seconds (an
hour by default) before the latest ``t0`` seen: holds older than that are forgotten.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from taktline.errors import NoRouteError
from taktline.plan.network import PathNetwork

__all__ = [
    "AgvStatus",
    "BatteryPolicy",
    "Dispatcher",
    "PathNetwork",
    "Planner",
    "Route",
    "Visit",
    "choose_agv",
    "choose_charger",
]

INF = math.inf


@dataclass(frozen=True)
class Visit:
    """An AGV at a node from ``arrive`` to ``depart``, serving the chain's ``stops`` there.

    The stops are numbered as given to :meth:`Planner.plan`; the end node is stop
    ``len(stops)``. A visit's dwell is the sum of its stops' dwells (and any waiting)."""

    node: int
    arrive: float
    depart: float
    stops: tuple[int, ...] = ()


@dataclass(frozen=True)
class Route:
    """A planned chain: node visits in order; ``edges[k]`` leads from visit k to visit k+1,
    driven ``ways[k]`` (+1 along the edge's from -> to, -1 against it)."""

    agv: int
    visits: tuple[Visit, ...]
    edges: tuple[int, ...]
    ways: tuple[int, ...] = ()

    @property
    def end(self) -> float:
        """Arrival at the last node (home)."""
        return self.visits[-1].arrive

    def stop_visit(self, k: int) -> Visit:
        """The visit that serves stop ``k``."""
        return next(v for v in self.visits if k in v.stops)

    def until(self, t: float) -> Route:
        """The part of this route driven before ``t`` (the rest was re-planned at ``t``)."""
        keep = [v for v in self.visits if v.arrive <= t] or [self.visits[0]]
        last = keep[-1]
        keep[-1] = Visit(last.node, last.arrive, min(last.depart, t), last.stops)
        n = len(keep) - 1
        return Route(self.agv, tuple(keep), self.edges[:n], self.ways[:n])

    def position(self, t: float) -> tuple[int, int]:
        """``(node, -1)`` if at a node at ``t``, or ``(-1, edge)`` if on an edge."""
        for k, v in enumerate(self.visits):
            if t <= v.depart or k == len(self.visits) - 1:
                if t >= v.arrive or k == 0:
                    return v.node, -1
                return -1, self.edges[k - 1]
        return self.visits[-1].node, -1  # pragma: no cover - loop always returns


Hold = tuple[float, float, int, int]  # (start, end, agv, direction: 0 node, +-1 edge)


class Planner:
    """Space-time reservations of one fleet's nodes and edges (see the module docstring)."""

    def __init__(
        self,
        network: PathNetwork,
        n_agvs: int,
        speed: float,
        gap: float = 5.0,
        memory: float = 3600.0,
    ) -> None:
        self.net = network
        self.memory = memory
        self.n_agvs = n_agvs
        self.speed = speed
        self.gap = gap
        self.node_holds: list[list[Hold]] = [[] for _ in range(network.n_nodes)]
        self.edge_holds: list[list[Hold]] = [[] for _ in network.edge_ends]
        self.routes: list[Route | None] = [None] * n_agvs
        self.decisions = 0

    # -- reservations -------------------------------------------------------------
    def forget(self, t: float) -> None:
        """Drop the holds that ended before ``t`` (no plan will start before ``t`` again)."""
        limit = t - self.gap
        for holds in (*self.node_holds, *self.edge_holds):
            if holds and holds[0][1] < limit:
                holds[:] = [h for h in holds if h[1] >= limit]

    def _drop(self, agv: int, t: float) -> list[tuple[bool, int, Hold]]:
        """Remove ``agv``'s holds from ``t`` on (truncating the one that spans ``t``)."""
        removed: list[tuple[bool, int, Hold]] = []
        for is_node, table in ((True, self.node_holds), (False, self.edge_holds)):
            for i, holds in enumerate(table):
                keep: list[Hold] = []
                for h in holds:
                    if h[2] != agv or h[1] < t:
                        keep.append(h)
                        continue
                    removed.append((is_node, i, h))
                    if h[0] < t:
                        keep.append((h[0], t, agv, h[3]))
                holds[:] = keep
        return removed

    def _hold(self, table: list[list[Hold]], i: int, h: Hold) -> None:
        holds = table[i]
        holds.append(h)
        holds.sort()

    def _reserve(self, route: Route) -> None:
        home = self.net.home
        for k, v in enumerate(route.visits):
            last = k == len(route.visits) - 1
            if v.node != home:
                until = INF if last else v.depart
                self._hold(self.node_holds, v.node, (v.arrive, until, route.agv, 0))
            if not last:
                nxt = route.visits[k + 1]
                e, way = route.edges[k], route.ways[k]
                self._hold(self.edge_holds, e, (v.depart, nxt.arrive, route.agv, way))
        self.routes[route.agv] = route

    def release(self, agv: int, t: float, node: int | None = None) -> None:
        """Drop ``agv``'s reservations from ``t`` on (error, offline, cancel).

        With ``node``, the AGV stays physically there: the node is held from ``t`` on
        with no end, and other AGVs route around it until the next :meth:`plan` for it.
        """
        self._drop(agv, t)
        self.routes[agv] = None
        if node is not None and node != self.net.home:
            self._hold(self.node_holds, node, (t, INF, agv, 0))

    # -- planning -----------------------------------------------------------------
    def plan(
        self,
        agv: int,
        start: int,
        t0: float,
        stops: Sequence[tuple[int, float]],
        end: int | None = None,
    ) -> Route:
        """Plan and reserve ``agv``'s chain from ``start`` at ``t0`` via ``stops`` to ``end``.

        ``stops`` are ``(node, dwell seconds)``; ``end`` defaults to home. Replaces the
        AGV's reservations from ``t0`` on; raises ``NoRouteError`` (keeping them) when
        no chain fits.
        """
        self.decisions += 1
        self.forget(t0 - self.memory)
        removed = self._drop(agv, t0)
        goals = [(int(n), float(w)) for n, w in stops]
        goals.append((self.net.home if end is None else end, 0.0))
        route = _Search(self, agv, goals).run(start, t0)
        if route is None:
            for is_node, i, h in removed:
                table = self.node_holds if is_node else self.edge_holds
                table[i][:] = [x for x in table[i] if not (x[2] == agv and x[0] == h[0])]
                self._hold(table, i, h)
            raise NoRouteError(
                f"AGV {agv}: no conflict-free route from {self.net.ids[start]} at t={t0:g}"
            )
        self._reserve(route)
        return route

    def free_intervals(self, node: int, agv: int) -> list[tuple[float, float]]:
        """The intervals in which ``node`` is free of other AGVs (gap applied)."""
        if node == self.net.home:
            return [(-INF, INF)]
        return _free(self.node_holds[node], agv, self.gap)

    def edge_free_from(self, edge: int, agv: int, t: float, d: float, way: int) -> float:
        """The earliest time >= ``t`` at which ``agv`` can enter ``edge`` (direction
        ``way``, +1 from -> to) and drive it in ``d`` seconds: at least ``gap`` after
        any AGV entering it the same way, not while any AGV drives it the other way."""
        g = self.gap
        for s, e, who, w in self.edge_holds[edge]:
            if who == agv:
                continue
            if w == way:
                if s - g < t < s + g:
                    t = s + g
            elif t < e + g and t + d + g > s:
                t = e + g
        return t


def _free(holds: list[Hold], agv: int, gap: float) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    lo = -INF
    for s, e, who, _ in holds:
        if who == agv:
            continue
        if s - gap > lo:
            out.append((lo, s - gap))
        lo = max(lo, e + gap)
    if lo < INF:
        out.append((lo, INF))
    return out


class _Search:
    """SIPP over (stage, node, free interval) for one chain."""

    def __init__(self, planner: Planner, agv: int, goals: list[tuple[int, float]]) -> None:
        self.p = planner
        self.agv = agv
        self.goals = goals
        self.free: dict[int, list[tuple[float, float]]] = {}
        # remaining distance from goal k to the end of the chain
        dist = planner.net.dist
        rest = [0.0] * len(goals)
        for k in range(len(goals) - 2, -1, -1):
            rest[k] = rest[k + 1] + float(dist[goals[k][0], goals[k + 1][0]])
        self.rest = rest

    def intervals(self, node: int) -> list[tuple[float, float]]:
        got = self.free.get(node)
        if got is None:
            got = self.free[node] = self.p.free_intervals(node, self.agv)
        return got

    def h(self, stage: int, node: int) -> float:
        goal = self.goals[stage][0]
        return (float(self.p.net.dist[node, goal]) + self.rest[stage]) / self.p.speed

    def run(self, start: int, t0: float) -> Route | None:
        iv = next((i for i, (a, b) in enumerate(self.intervals(start)) if a <= t0 <= b), None)
        if iv is None:
            return None
        State = tuple[int, int, int]  # stage, node, interval
        best: dict[State, float] = {}
        parent: dict[State, tuple[State | None, float, int]] = {}
        heap: list[tuple[float, float, State]] = []
        first: State = (0, start, iv)
        best[first] = t0
        parent[first] = (None, t0, -1)
        heapq.heappush(heap, (t0 + self.h(0, start), t0, first))
        last = len(self.goals) - 1
        while heap:
            _, t, st = heapq.heappop(heap)
            if t > best[st]:
                continue
            stage, node, i = st
            end = self.intervals(node)[i][1]
            if node == self.goals[stage][0]:
                dwell = self.goals[stage][1]
                if stage == last and end == INF:
                    return self._route(st, parent)
                if stage < last and t + dwell <= end:
                    nxt: State = (stage + 1, node, i)
                    if t + dwell < best.get(nxt, INF):
                        best[nxt] = t + dwell
                        parent[nxt] = (st, t + dwell, -2)
                        heapq.heappush(heap, (t + dwell + self.h(stage + 1, node), t + dwell, nxt))
            for v, e, length in self.p.net.adj[node]:
                d = length / self.p.speed
                for j, (a, b) in enumerate(self.intervals(v)):
                    if b < t + d:
                        continue
                    way = 1 if self.p.net.edge_ends[e][0] == node else -1
                    dep = self._depart(e, way, max(t, a - d), d, a, b, end)
                    if dep is None:
                        if a - d > end:
                            break
                        continue
                    succ: State = (stage, v, j)
                    arr = dep + d
                    if arr < best.get(succ, INF):
                        best[succ] = arr
                        parent[succ] = (st, dep, e)
                        heapq.heappush(heap, (arr + self.h(stage, v), arr, succ))
        return None

    def _depart(
        self, e: int, way: int, t: float, d: float, a: float, b: float, end: float
    ) -> float | None:
        """Earliest departure >= t over edge ``e`` arriving within [a, b], leaving by ``end``."""
        while True:
            t2 = self.p.edge_free_from(e, self.agv, t, d, way)
            t2 = max(t2, a - d)
            if t2 > end or t2 + d > b:
                return None
            if t2 == t:
                return t
            t = t2

    def _route(self, st: tuple[int, int, int], parent: dict) -> Route:  # type: ignore[type-arg]
        # Walk back: each entry is (previous state, departure from it, edge or -1/-2).
        chain: list[tuple[tuple[int, int, int], float, int]] = []
        cur: tuple[int, int, int] | None = st
        while cur is not None:
            prev, dep, e = parent[cur]
            chain.append((cur, dep, e))
            cur = prev
        chain.reverse()
        visits: list[Visit] = []
        edges: list[int] = []
        arrive = chain[0][1]
        stops: list[int] = []
        for k, (state, _, _) in enumerate(chain):
            nxt = chain[k + 1] if k + 1 < len(chain) else None
            if nxt is not None and nxt[2] == -2:  # dwell: same node, next stage
                stops.append(state[0])
                continue
            node = state[1]
            if nxt is None:
                visits.append(Visit(node, arrive, arrive, (*stops, len(self.goals) - 1)))
                break
            dep = nxt[1]
            visits.append(Visit(node, arrive, dep, tuple(stops)))
            stops = []
            edges.append(nxt[2])
            arrive = dep + self.p.net.edge_length[nxt[2]] / self.p.speed
        ends = self.p.net.edge_ends
        ways = tuple(1 if ends[e][0] == v.node else -1 for e, v in zip(edges, visits, strict=False))
        return Route(self.agv, tuple(visits), tuple(edges), ways)


# -- dispatch ----------------------------------------------------------------------


@dataclass(frozen=True)
class AgvStatus:
    """What dispatch needs of one AGV: when and where it is next free, and can it work."""

    free_at: float
    node: int
    idle: bool
    must_charge: bool = False


def choose_agv(
    agvs: Sequence[AgvStatus],
    pickup: int,
    now: float,
    dist: np.ndarray,
    speed: float,
    horizon: float = 0.0,
) -> int | None:
    """The AGV for a task at ``pickup`` by the module's rule, or None if none qualifies."""
    best, best_key = None, (INF, 1, 0)
    for i, a in enumerate(agvs):
        if a.must_charge:
            continue
        if a.idle:
            start = now
        elif a.free_at - now <= horizon:
            start = max(now, a.free_at)
        else:
            continue
        eta = start + float(dist[a.node, pickup]) / speed
        key = (eta, 0 if a.idle else 1, i)
        if key < best_key:
            best, best_key = i, key
    return best


@dataclass(frozen=True)
class BatteryPolicy:
    """Charge thresholds (percent) and a linear drain/charge model."""

    low: float = 30.0
    resume: float = 90.0
    drain_per_m: float = 0.002  # percent per metre driven
    drain_per_s: float = 0.0005  # percent per second at work (lifting, idling)
    charge_per_s: float = 0.05  # percent per second on a charger

    def needs_charge(self, level: float) -> bool:
        """True when the AGV must go charging and take no tasks."""
        return level <= self.low

    def charged(self, level: float) -> bool:
        """True when a charging AGV may leave the charger and take tasks again."""
        return level >= self.resume

    def after(self, level: float, metres: float, seconds: float) -> float:
        """The level after driving ``metres`` over ``seconds``."""
        return max(0.0, level - metres * self.drain_per_m - seconds * self.drain_per_s)

    def charge_time(self, level: float) -> float:
        """Seconds on a charger from ``level`` to ``resume``."""
        return max(0.0, self.resume - level) / self.charge_per_s


def choose_charger(network: PathNetwork, node: int, busy: Sequence[int] = ()) -> int | None:
    """The nearest charger node from ``node`` not in ``busy`` (ties: lower index)."""
    best, best_d = None, INF
    for c, is_charger in enumerate(network.charger):
        if is_charger and c not in busy:
            d = float(network.dist[node, c])
            if d < best_d:
                best, best_d = c, d
    return best


class Dispatcher:
    """The decisions for one fleet together: dispatch rule, chain planning, fallback.

    :meth:`submit` gives a task (pickup, drop, sampled load and unload seconds) to an
    AGV by :func:`choose_agv` and reserves its chain. An AGV still unloading (chosen by
    look-ahead) is re-planned from its drop node when it leaves it; one on its way home
    from the next node it reaches. If that re-plan does not fit, the old plan stays and
    the task starts from home when the AGV is back there (always possible). Tasks must
    come in non-decreasing ``now``. ``history`` keeps every AGV's driven routes.
    """

    def __init__(
        self,
        network: PathNetwork,
        n_agvs: int,
        speed: float,
        gap: float = 5.0,
        horizon: float = 0.0,
    ) -> None:
        self.net = network
        self.speed = speed
        self.horizon = horizon
        self.planner = Planner(network, n_agvs, speed, gap)
        self.history: list[list[Route]] = [[] for _ in range(n_agvs)]
        self.kept = 0  # re-plans that did not fit (the old plan stayed)

    def _where(self, agv: int, now: float) -> tuple[AgvStatus, int, float]:
        """The AGV's status for dispatch, and the node and time a new chain starts at."""
        r = self.planner.routes[agv]
        home = self.net.home
        if r is None or r.end <= now:
            node = home if r is None else r.visits[-1].node
            return AgvStatus(now, node, True), node, now
        work = [v for v in r.visits if v.stops and v is not r.visits[-1]]
        if work and work[-1].depart > now:
            dv = work[-1]
            return AgvStatus(dv.depart, dv.node, False), dv.node, dv.depart
        nxt = next(v for v in r.visits if v.arrive >= now)
        return AgvStatus(now, nxt.node, True), nxt.node, nxt.arrive

    def submit(self, pickup: int, drop: int, load: float, unload: float, now: float) -> Route:
        """Choose an AGV for the task and reserve its chain; the route is returned."""
        places = [self._where(a, now) for a in range(self.planner.n_agvs)]
        agv = choose_agv(
            [p[0] for p in places], pickup, now, self.net.dist, self.speed, self.horizon
        )
        if agv is None:  # everyone charging or busy beyond the horizon: the first free
            agv = min(range(len(places)), key=lambda a: (places[a][0].free_at, a))
        _, node, t0 = places[agv]
        stops = [(pickup, load), (drop, unload)]
        old = self.planner.routes[agv]
        try:
            route = self.planner.plan(agv, node, t0, stops)
        except NoRouteError:
            if old is None or old.end <= t0:
                raise
            self.kept += 1
            route = self.planner.plan(agv, old.visits[-1].node, old.end, stops)
            t0 = old.end
        hist = self.history[agv]
        if hist and hist[-1] is old and old is not None:
            hist[-1] = old.until(t0)
        hist.append(route)
        return route
