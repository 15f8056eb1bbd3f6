"""What both planner cores share: their state besides the holds, and ``plan`` itself
(the pure-Python :class:`~taktline.plan.sipp_ref.PythonPlanner` and the compiled
:class:`~taktline.plan.planner.Planner` differ only in how holds are kept and searched)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

from taktline.errors import NoRouteError
from taktline.plan.network import PathNetwork
from taktline.plan.route import Route

__all__ = ["PlannerBase"]


class PlannerBase(ABC):
    """Space-time reservations of one fleet's nodes and edges (see
    :mod:`taktline.plan.dispatch`)."""

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
        self.routes: list[Route | None] = [None] * n_agvs
        self.decisions = 0
        self._setup()

    @abstractmethod
    def _setup(self) -> None:
        """Make the empty hold tables (called by ``__init__``)."""

    @abstractmethod
    def forget(self, t: float) -> None:
        """Drop the holds that ended before ``t`` (no plan will start before ``t`` again)."""

    @abstractmethod
    def _drop(self, agv: int, t: float) -> Any:
        """Remove ``agv``'s holds from ``t`` on; what :meth:`_undo` needs to undo it."""

    @abstractmethod
    def _undo(self, agv: int, removed: Any) -> None:
        """Put the holds :meth:`_drop` removed back (each replaces ``agv``'s holds
        starting when it starts in its row)."""

    @abstractmethod
    def _search(
        self, agv: int, goals: list[tuple[int, float]], start: int, t0: float
    ) -> Route | None:
        """The earliest chain through ``goals`` from ``start`` at ``t0`` (SIPP)."""

    @abstractmethod
    def _reserve(self, route: Route) -> None:
        """Hold the route's nodes and edges and make it ``agv``'s route."""

    @abstractmethod
    def release(self, agv: int, t: float, node: int | None = None) -> None:
        """Drop ``agv``'s reservations from ``t`` on (error, offline, cancel).

        With ``node``, the AGV stays physically there: the node is held from ``t`` on
        with no end, and other AGVs route around it until the next :meth:`plan` for it.
        """

    @abstractmethod
    def free_intervals(self, node: int, agv: int) -> list[tuple[float, float]]:
        """The intervals in which ``node`` is free of other AGVs (gap applied)."""

    @abstractmethod
    def edge_free_from(self, edge: int, agv: int, t: float, d: float, way: int) -> float:
        """The earliest time >= ``t`` at which ``agv`` can enter ``edge`` (direction
        ``way``, +1 from -> to) and drive it in ``d`` seconds: at least ``gap`` after
        any AGV entering it the same way, not while any AGV drives it the other way."""

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
        route = self._search(agv, goals, start, t0)
        if route is None:
            self._undo(agv, removed)
            raise NoRouteError(
                f"AGV {agv}: no conflict-free route from {self.net.ids[start]} at t={t0:g}"
            )
        self._reserve(route)
        return route
