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

**Cores.** :class:`Planner` keeps its holds as arrays and searches in numba
(:mod:`taktline.plan.sipp_nb`; compiled on first use, then loaded from numba's cache);
:class:`PythonPlanner` (:mod:`taktline.plan.sipp_ref`) is the readable pure-Python
reference. Both give the same routes and exceptions to the last bit (same heap order,
same float operations); :func:`make_planner` picks one by name.

Times are plant seconds, as floats. A plan may start at most ``memory`` seconds (an
hour by default) before the latest ``t0`` seen: holds older than that are forgotten.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from taktline.errors import NoRouteError
from taktline.plan.network import PathNetwork
from taktline.plan.planner import Planner, make_planner
from taktline.plan.route import INF, Route, Visit
from taktline.plan.sipp_ref import PythonPlanner

__all__ = [
    "AgvStatus",
    "BatteryPolicy",
    "Dispatcher",
    "PathNetwork",
    "Planner",
    "PythonPlanner",
    "Route",
    "Visit",
    "choose_agv",
    "choose_charger",
    "make_planner",
]

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
