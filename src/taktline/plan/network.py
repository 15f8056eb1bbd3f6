"""The path network of an AGV fleet, by node index: coordinates, edges, all-pairs
shortest distances and shortest paths. The decisions taken on it (dispatch, reserved
routes, chargers) are in :mod:`taktline.plan.dispatch`."""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from taktline.plant.fleet import Fleet

__all__ = ["INF", "PathNetwork"]

INF = math.inf


@dataclass(frozen=True)
class PathNetwork:
    """The path network of one fleet, by node index."""

    ids: tuple[str, ...]
    xy: np.ndarray  # (n, 2) metres
    charger: tuple[bool, ...]
    edge_ends: tuple[tuple[int, int], ...]  # edge index -> (from, to)
    edge_length: tuple[float, ...]
    edge_two_way: tuple[bool, ...]
    # adjacency: node -> ((neighbour, edge index, length), ...)
    adj: tuple[tuple[tuple[int, int, float], ...], ...]
    dist: np.ndarray  # (n, n) shortest distances, inf where unreachable
    home: int = 0
    index: dict[str, int] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        nodes: Sequence[tuple[str, float, float, bool]],
        edges: Sequence[tuple[str, str, float | None, bool]],
        home: str | None = None,
    ) -> PathNetwork:
        """Nodes ``(id, x, y, charger)``, edges ``(from, to, length or None, two_way)``; a
        missing length is the straight distance (1e-9 m between coincident nodes)."""
        ids = tuple(n[0] for n in nodes)
        index = {n: i for i, n in enumerate(ids)}
        xy = np.array([[n[1], n[2]] for n in nodes], dtype=np.float64).reshape(-1, 2)
        adj: list[list[tuple[int, int, float]]] = [[] for _ in ids]
        ends, lengths, two = [], [], []
        for e, (a, b, length, two_way) in enumerate(edges):
            i, j = index[a], index[b]
            ln = float(length) if length is not None else float(np.hypot(*(xy[i] - xy[j]))) or 1e-9
            ends.append((i, j))
            lengths.append(ln)
            two.append(two_way)
            adj[i].append((j, e, ln))
            if two_way:
                adj[j].append((i, e, ln))
        frozen = tuple(tuple(a) for a in adj)
        return cls(
            ids=ids,
            xy=xy,
            charger=tuple(n[3] for n in nodes),
            edge_ends=tuple(ends),
            edge_length=tuple(lengths),
            edge_two_way=tuple(two),
            adj=frozen,
            dist=_all_pairs(frozen, len(ids)),
            home=index[home] if home is not None else 0,
            index=index,
        )

    @classmethod
    def from_fleet(cls, fleet: Fleet) -> PathNetwork:
        """The network of a plant fleet; ``home`` is the fleet's home node."""
        nodes = [(n.id, n.x, n.y, n.charger) for n in fleet.network.nodes]
        edges = [(e.from_, e.to, e.length, e.two_way) for e in fleet.network.edges]
        return cls.build(nodes, edges, home=fleet.home)

    @property
    def n_nodes(self) -> int:
        return len(self.ids)

    def path(self, a: int, b: int) -> list[int]:
        """A shortest node path from ``a`` to ``b`` (both included); [] if unreachable."""
        if not math.isfinite(self.dist[a, b]):
            return []
        out = [a]
        while out[-1] != b:
            u = out[-1]
            du = self.dist[u, b]
            out.append(min(v for v, _, w in self.adj[u] if abs(w + self.dist[v, b] - du) < 1e-9))
        return out


def _all_pairs(adj: tuple[tuple[tuple[int, int, float], ...], ...], n: int) -> np.ndarray:
    out = np.full((n, n), INF)
    for src in range(n):
        dist = out[src]
        dist[src] = 0.0
        heap = [(0.0, src)]
        while heap:
            d, u = heapq.heappop(heap)
            if d > dist[u]:
                continue
            for v, _, w in adj[u]:
                if d + w < dist[v]:
                    dist[v] = d + w
                    heapq.heappush(heap, (d + w, v))
    return out
