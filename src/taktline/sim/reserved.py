"""Reserved routing for the reference engine's AGVs (opt-in, see docs/fleet.md).

:func:`reserve_routes` replaces a fleet's :meth:`~taktline.sim.agv.AgvFleet.assign`
(the seam of contract §2) with the fleet decisions of ``plan.dispatch``: each task goes
to an AGV by the dispatch rule and is driven as a reserved chain - to the pickup, load,
to the drop, unload, home - node by node at the planned times, so no two AGVs share a
node or an edge and the fleet cannot deadlock. The take/put protocol of ``MoveLink``
is kept. The driven routes stay in ``ReservedRouting.dispatcher.history`` for the
safety check (``analysis.fleet``). Only the reference engine supports it so far.

This is the one place ``sim/`` uses ``plan/``: the twin must take the same fleet
decisions as the fleet manager (issue 6), so it calls ``plan.dispatch`` rather than a
copy of it; ``plan.dispatch`` depends on nothing but numpy.
"""

from __future__ import annotations

from taktline.plan.dispatch import Dispatcher, PathNetwork, Route
from taktline.sim.agv import CARRYING, IDLE, LOADING, TO_PICKUP, UNLOADING, AgvFleet, MoveLink
from taktline.sim.buffer import Item
from taktline.sim.records import RecordLog

__all__ = ["ReservedRouting", "reserve_routes"]

_Chain = tuple[MoveLink, Route, float, float, float]  # move, route, load, unload, created


class ReservedRouting:
    """The reserved-chain behaviour installed on one :class:`AgvFleet`."""

    def __init__(self, fleet: AgvFleet, network: PathNetwork, gap: float, horizon: float):
        self.fleet = fleet
        self.dispatcher = Dispatcher(network, len(fleet.agvs), fleet.speed, gap, horizon)
        self.items: dict[int, Item] = {}
        self.dispatched: dict[int, float] = {}
        self.picked: dict[int, float] = {}
        self.tasks: list[tuple[float, float | None]] = []  # (created, finished)
        self.last_agv = -1

    def plan(self, pick: int, drop: int, load: float, unload: float, now: float
             ) -> tuple[float, float, float, float, float]:
        """Choose the AGV for a task raised at ``now`` and reserve its chain; the times of
        its five steps: set off, at the pickup, loaded, at the drop, unloaded. The AGV
        is ``last_agv`` (the compiled engine's driver calls this too)."""
        route = self.dispatcher.submit(pick, drop, load, unload, now)
        self.last_agv = route.agv
        self.tasks.append((now, None))
        p, d = route.stop_visit(0), route.stop_visit(1)
        return (max(now, route.visits[0].arrive), p.arrive, p.arrive + load, d.arrive,
                d.arrive + unload)

    def assign(self, move: MoveLink) -> None:
        """A new transport task: choose the AGV, reserve its chain, schedule its steps."""
        k = self.fleet.kernel
        load, unload = self.fleet.load(), self.fleet.unload()
        start, at_pick, loaded, at_drop, unloaded = self.plan(move.pick, move.drop, load,
                                                              unload, k.now)
        agv, task = self.last_agv, len(self.tasks) - 1
        k.at(start, self._start, (agv, task))
        k.at(at_pick, self._state, (agv, LOADING))
        k.at(loaded, self._loaded, (agv, move))
        k.at(at_drop, self._state, (agv, UNLOADING))
        k.at(unloaded, self._unloaded, (agv, move, task))

    def record(self, log: RecordLog, horizon: float) -> None:
        """Write the driven routes (every node visit up to ``horizon``, and the edge
        taken from it) to the run's ``visit`` records; an edge driven at the horizon is
        closed by its end node's visit, the last record of that route."""
        f = self.fleet
        row = log.table("visit").appender()
        for hist in self.dispatcher.history:
            for r in hist:
                for k, v in enumerate(r.visits):
                    if k and r.visits[k - 1].depart > horizon:
                        break
                    on = k < len(r.edges) and v.depart <= horizon
                    e, way = (r.edges[k], r.ways[k]) if on else (-1, 0)
                    row(v.arrive, v.depart, f.idx, r.agv, v.node,
                        sum(1 << s for s in v.stops), e, way)

    def _state(self, arg: tuple[int, int]) -> None:
        agv, state = arg
        f = self.fleet
        f.agvs[agv].state = state
        f.rec_state(f.kernel.now, f.idx, agv, state)

    def _start(self, arg: tuple[int, int]) -> None:
        self.dispatched[arg[0]] = self.fleet.kernel.now
        self._state((arg[0], TO_PICKUP))

    def _loaded(self, arg: tuple[int, MoveLink]) -> None:
        agv, move = arg
        move.src.outgoing -= 1
        self.items[agv] = move.src.take()
        self.picked[agv] = self.fleet.kernel.now
        self.fleet.agvs[agv].node = move.pick
        self._state((agv, CARRYING))

    def _unloaded(self, arg: tuple[int, MoveLink, int]) -> None:
        agv, move, task = arg
        f = self.fleet
        item = self.items.pop(agv)
        move.dst.put(item, reserved=True)
        now = f.kernel.now
        f.rec_transport(
            self.dispatched[agv], self.picked[agv], now, f.idx, agv, move.idx, item.vehicle
        )
        f.agvs[agv].node = move.drop
        self.tasks[task] = (self.tasks[task][0], now)
        self._state((agv, IDLE))


def reserve_routes(
    fleet: AgvFleet, network: PathNetwork, gap: float = 5.0, horizon: float = 0.0
) -> ReservedRouting:
    """Install reserved routing on ``fleet`` (before the run starts); returns it."""
    routing = ReservedRouting(fleet, network, gap, horizon)
    fleet.assign = routing.assign  # type: ignore[method-assign]
    return routing
