"""Planned AGV routes: node visits in order and the edges between them (what
:class:`~taktline.plan.dispatch.Planner` returns; see :mod:`taktline.plan.dispatch`)."""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["INF", "Hold", "Route", "Visit"]

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

