"""The reservation planner with its compiled core (see :mod:`taktline.plan.dispatch`
for what it does, :mod:`taktline.plan.sipp_nb` for how, and
:mod:`taktline.plan.sipp_ref` for the pure-Python reference it matches bit for bit)."""

from __future__ import annotations

from typing import Any

import numpy as np

from taktline.plan import sipp_nb as nb
from taktline.plan.base import PlannerBase
from taktline.plan.network import PathNetwork
from taktline.plan.route import INF, Hold, Route, Visit
from taktline.plan.sipp_ref import PythonPlanner

__all__ = ["CORES", "Planner", "make_planner"]

CORES = ("numba", "python")


class _Table:
    """One hold table (nodes or edges): five arrays, grown by doubling."""

    def __init__(self, rows: int, cap: int = 8) -> None:
        self.s = np.zeros((rows, cap))
        self.e = np.zeros((rows, cap))
        self.a = np.zeros((rows, cap), dtype=np.int64)
        self.d = np.zeros((rows, cap), dtype=np.int64)
        self.n = np.zeros(rows, dtype=np.int64)

    def arrays(self) -> tuple[Any, Any, Any, Any, Any]:
        return self.s, self.e, self.a, self.d, self.n

    def room(self, more: int) -> None:
        """Make room for ``more`` holds in any one row."""
        need = int(self.n.max(initial=0)) + more
        cap = self.s.shape[1]
        if need <= cap:
            return
        while cap < need:
            cap *= 2
        for name in ("s", "e", "a", "d"):
            old = getattr(self, name)
            new = np.zeros((old.shape[0], cap), dtype=old.dtype)
            new[:, : old.shape[1]] = old
            setattr(self, name, new)

    def lists(self) -> list[list[Hold]]:
        out: list[list[Hold]] = []
        for r, n in enumerate(self.n.tolist()):
            rows = zip(
                self.s[r, :n].tolist(), self.e[r, :n].tolist(),
                self.a[r, :n].tolist(), self.d[r, :n].tolist(), strict=True,
            )
            out.append([(s, e, a, d) for s, e, a, d in rows])
        return out


class _Scratch:
    """The search's work arrays (sized before every search, grown by doubling)."""

    def __init__(self, n_nodes: int) -> None:
        self.node = [np.zeros(n_nodes, dtype=np.int64) for _ in range(2)]
        self.node_gen = np.full(n_nodes, -1, dtype=np.int64)
        self.meta = np.zeros(2, dtype=np.int64)
        self.slots = 0
        self.states = 0
        self.gen = 0
        self.fit(64, 256)

    def fit(self, slots: int, states: int) -> None:
        if slots > self.slots:
            self.slots = max(slots, 2 * self.slots)
            self.slot_a, self.slot_b = np.zeros(self.slots), np.zeros(self.slots)
            self.slot_node = np.zeros(self.slots, dtype=np.int64)
            self.slot_j = np.zeros(self.slots, dtype=np.int64)
        if states > self.states:
            self.states = n = max(states, 2 * self.states)
            self.best, self.pdep, self.kf = np.zeros(n), np.zeros(n), np.zeros(n)
            self.bgen = np.full(n, -1, dtype=np.int64)
            self.par, self.pe, self.pos, self.heap, self.c_id, self.c_e = (
                np.zeros(n, dtype=np.int64) for _ in range(6)
            )
            self.c_dep = np.zeros(n)
            self.c_id = np.zeros(2 * n, dtype=np.int64)  # stages, then nodes

    def arrays(self) -> tuple[Any, ...]:
        return (
            self.node[0], self.node[1], self.node_gen,
            self.slot_a, self.slot_b, self.slot_node, self.slot_j,
            self.best, self.bgen, self.par, self.pdep, self.pe, self.pos, self.kf,
            self.heap, self.meta, self.c_id, self.c_dep, self.c_e,
        )


class Planner(PlannerBase):
    """The planner with holds as arrays and the search in numba (same routes as
    :class:`~taktline.plan.sipp_ref.PythonPlanner`, to the last bit)."""

    def _setup(self) -> None:
        network = self.net
        self._nodes = _Table(network.n_nodes)
        self._edges = _Table(len(network.edge_ends))
        self._rm: tuple[Any, Any, Any, Any] = (
            np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0), np.zeros(0, dtype=np.int64)
        )
        self._work = _Scratch(network.n_nodes)
        ptr, vs, es, lens = [0], [], [], []
        for nbrs in network.adj:
            for v, e, length in nbrs:
                vs.append(v)
                es.append(e)
                lens.append(length)
            ptr.append(len(vs))
        self._adj = (
            np.array(ptr, dtype=np.int64), np.array(vs, dtype=np.int64),
            np.array(es, dtype=np.int64), np.array(lens, dtype=np.float64),
            np.array([a for a, _ in network.edge_ends], dtype=np.int64),
            np.ascontiguousarray(network.dist, dtype=np.float64),
        )

    @property
    def node_holds(self) -> list[list[Hold]]:
        """Every node's holds ``(start, end, agv, 0)`` in order (a copy)."""
        return self._nodes.lists()

    @property
    def edge_holds(self) -> list[list[Hold]]:
        """Every edge's holds ``(start, end, agv, way)`` in order (a copy)."""
        return self._edges.lists()

    # -- reservations -------------------------------------------------------------
    def forget(self, t: float) -> None:
        limit = t - self.gap
        nb.forget(*self._nodes.arrays(), float(limit))
        nb.forget(*self._edges.arrays(), float(limit))

    def _drop(self, agv: int, t: float) -> tuple[int, int]:
        """Remove ``agv``'s holds from ``t`` on; returns where the removed node and edge
        holds end in the removed-holds buffers."""
        total = int(self._nodes.n.sum() + self._edges.n.sum())
        if total > self._rm[0].shape[0]:
            size = max(total, 2 * self._rm[0].shape[0])
            r, s, e, d = (np.zeros(size, dtype=a.dtype) for a in self._rm)
            self._rm = (r, s, e, d)
        m1 = nb.drop(*self._nodes.arrays(), agv, float(t), *self._rm, 0)
        m2 = nb.drop(*self._edges.arrays(), agv, float(t), *self._rm, m1)
        return int(m1), int(m2)

    def release(self, agv: int, t: float, node: int | None = None) -> None:
        self._drop(agv, t)
        self.routes[agv] = None
        if node is not None and node != self.net.home:
            self._nodes.room(1)
            nb.insert(*self._nodes.arrays(), int(node), float(t), INF, agv, 0)

    # -- planning -----------------------------------------------------------------
    def _undo(self, agv: int, removed: tuple[int, int]) -> None:
        m1, m2 = removed
        nb.restore(*self._nodes.arrays(), agv, *self._rm, 0, m1)
        nb.restore(*self._edges.arrays(), agv, *self._rm, m1, m2)

    def _reserve(self, route: Route) -> None:
        vs = route.visits
        self._nodes.room(len(vs))
        self._edges.room(len(vs))
        nb.reserve(
            *self._nodes.arrays(), *self._edges.arrays(), self.net.home, route.agv,
            np.array([v.node for v in vs], dtype=np.int64),
            np.array([v.arrive for v in vs], dtype=np.float64),
            np.array([v.depart for v in vs], dtype=np.float64),
            np.array(route.edges, dtype=np.int64), np.array(route.ways, dtype=np.int64),
        )
        self.routes[route.agv] = route

    def _search(
        self, agv: int, goals: list[tuple[int, float]], start: int, t0: float
    ) -> Route | None:
        dist = self.net.dist
        rest = [0.0] * len(goals)
        for k in range(len(goals) - 2, -1, -1):
            rest[k] = rest[k + 1] + float(dist[goals[k][0], goals[k + 1][0]])
        w = self._work
        slots = int(self._nodes.n.sum()) + self.net.n_nodes + 1
        w.fit(slots, slots * len(goals))
        w.gen += 1
        n = nb.search(
            *self._nodes.arrays()[:2], self._nodes.a, self._nodes.n, *self._edges.arrays(),
            *self._adj, self.net.home,
            np.array([g for g, _ in goals], dtype=np.int64),
            np.array([d for _, d in goals], dtype=np.float64), np.array(rest),
            float(self.speed), float(self.gap), agv, int(start), float(t0), w.gen, slots,
            *w.arrays(),
        )
        if n == 0:
            return None
        return self._route(agv, t0, len(goals), n)

    def _route(self, agv: int, t0: float, n_goals: int, n: int) -> Route:
        """The route of the chain the search wrote (as the reference builds it)."""
        w = self._work
        stage_node = w.c_id[: 2 * n].tolist()
        deps, via = w.c_dep[:n].tolist(), w.c_e[:n].tolist()
        visits: list[Visit] = []
        edges: list[int] = []
        arrive: float = t0
        stops: list[int] = []
        length = self.net.edge_length
        for k in range(n):
            if k + 1 < n and via[k + 1] == -2:  # dwell: same node, next stage
                stops.append(stage_node[k])
                continue
            node = stage_node[n + k]
            if k + 1 == n:
                visits.append(Visit(node, arrive, arrive, (*stops, n_goals - 1)))
                break
            dep = deps[k + 1]
            visits.append(Visit(node, arrive, dep, tuple(stops)))
            stops = []
            edges.append(via[k + 1])
            arrive = dep + length[via[k + 1]] / self.speed
        ends = self.net.edge_ends
        ways = tuple(1 if ends[e][0] == v.node else -1 for e, v in zip(edges, visits, strict=False))
        return Route(agv, tuple(visits), tuple(edges), ways)

    def free_intervals(self, node: int, agv: int) -> list[tuple[float, float]]:
        if node == self.net.home:
            return [(-INF, INF)]
        t = self._nodes
        k = int(t.n[node]) + 1
        a, b = np.zeros(k), np.zeros(k)
        c = nb.free_into(t.s, t.e, t.a, t.n, int(node), agv, float(self.gap), a, b, 0)
        return list(zip(a[:c].tolist(), b[:c].tolist(), strict=True))

    def edge_free_from(self, edge: int, agv: int, t: float, d: float, way: int) -> float:
        return float(
            nb.edge_free_from(
                *self._edges.arrays(), int(edge), agv, float(t), float(d), int(way),
                float(self.gap),
            )
        )


def make_planner(
    network: PathNetwork,
    n_agvs: int,
    speed: float,
    gap: float = 5.0,
    memory: float = 3600.0,
    core: str = "numba",
) -> PlannerBase:
    """A planner with the compiled core (``"numba"``) or the pure-Python reference."""
    if core not in CORES:
        raise ValueError(f"planner core must be one of {CORES}, not {core!r}")
    cls: type[PlannerBase] = Planner if core == "numba" else PythonPlanner
    return cls(network, n_agvs, speed, gap, memory)
