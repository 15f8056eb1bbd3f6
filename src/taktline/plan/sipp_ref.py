"""The pure-Python planner: the readable reference of the compiled one.

:class:`PythonPlanner` is the planner of :mod:`taktline.plan.dispatch` (see its
docstring) over lists of ``(start, end, agv, direction)`` tuples, searched with
``heapq``. :class:`~taktline.plan.planner.Planner` (``core="numba"``, the default)
does the same over arrays in numba (:mod:`taktline.plan.sipp_nb`) and must give the
same routes to the last bit; ``Planner(..., core="python")`` is this class. Tests
drive both with the same task streams and compare every route and exception.
"""

from __future__ import annotations

import heapq

from taktline.plan.base import PlannerBase
from taktline.plan.route import INF, Hold, Route, Visit

__all__ = ["PythonPlanner"]


class PythonPlanner(PlannerBase):
    """The planner over lists of hold tuples (see the module docstring)."""

    def _setup(self) -> None:
        network = self.net
        self.node_holds: list[list[Hold]] = [[] for _ in range(network.n_nodes)]
        self.edge_holds: list[list[Hold]] = [[] for _ in network.edge_ends]

    # -- reservations -------------------------------------------------------------
    def forget(self, t: float) -> None:
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
        self._drop(agv, t)
        self.routes[agv] = None
        if node is not None and node != self.net.home:
            self._hold(self.node_holds, node, (t, INF, agv, 0))

    # -- planning -----------------------------------------------------------------
    def _undo(self, agv: int, removed: list[tuple[bool, int, Hold]]) -> None:
        for is_node, i, h in removed:
            table = self.node_holds if is_node else self.edge_holds
            table[i][:] = [x for x in table[i] if not (x[2] == agv and x[0] == h[0])]
            self._hold(table, i, h)

    def _search(
        self, agv: int, goals: list[tuple[int, float]], start: int, t0: float
    ) -> Route | None:
        return _Search(self, agv, goals).run(start, t0)

    def free_intervals(self, node: int, agv: int) -> list[tuple[float, float]]:
        if node == self.net.home:
            return [(-INF, INF)]
        return _free(self.node_holds[node], agv, self.gap)

    def edge_free_from(self, edge: int, agv: int, t: float, d: float, way: int) -> float:
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

    def __init__(self, planner: PythonPlanner, agv: int, goals: list[tuple[int, float]]) -> None:
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
