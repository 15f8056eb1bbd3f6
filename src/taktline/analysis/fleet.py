"""AGV safety: did two AGVs ever share a node or an edge, did the fleet deadlock?

The check works on occupancy intervals, whoever produced them: the planner's routes
(:func:`route_occupancy`) or a run's position records. An occupancy is
``(kind, resource, agv, start, end, way)`` with ``kind`` ``"node"`` or ``"edge"``; the
AGV holds the resource over ``[start, end]``; ``way`` is the direction an edge is
driven (+1 from -> to, -1 back; 0 for nodes). Two holds of a node by different AGVs
conflict when less than ``gap`` apart. On an edge, two AGVs driving the same way
conflict when they enter it less than ``gap`` apart (they drive at one speed, so the
distance holds along the edge); driving it opposite ways they conflict when their holds
are less than ``gap`` apart (a head-on meeting). Parking nodes (a fleet's home) are
passed as ``exempt`` and not checked.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np

from taktline.errors import ScenarioError
from taktline.sim.records import RecordLog

if TYPE_CHECKING:
    from taktline.sim.run import Run

__all__ = [
    "Conflict",
    "FleetCheck",
    "Occupancy",
    "SafetyReport",
    "check_fleet",
    "check_occupancy",
    "check_safety",
    "route_occupancy",
    "run_safety",
    "visit_occupancy",
]

Occupancy = tuple[str, int, int, float, float, int]


@dataclass(frozen=True)
class Conflict:
    """Two AGVs on one node or edge at once: the resource and both holds."""

    kind: str
    resource: int
    first: tuple[int, float, float]
    second: tuple[int, float, float]


@dataclass(frozen=True)
class SafetyReport:
    """The result of :func:`check_safety`; ``ok`` when nothing was found."""

    conflicts: tuple[Conflict, ...]
    unfinished: tuple[int, ...]  # tasks (by index) that never finished
    stuck: tuple[int, ...]  # AGVs last seen away from home and not working at the end

    @property
    def ok(self) -> bool:
        return not (self.conflicts or self.unfinished or self.stuck)


def check_occupancy(
    occupancy: Iterable[Occupancy], exempt_nodes: Sequence[int] = (), gap: float = 0.0
) -> list[Conflict]:
    """Every pair of holds of one resource by different AGVs less than ``gap`` apart."""
    by_res: dict[tuple[str, int], list[tuple[float, float, int, int]]] = {}
    for kind, res, agv, start, end, way in occupancy:
        if kind == "node" and res in exempt_nodes:
            continue
        by_res.setdefault((kind, res), []).append((start, end, agv, way))
    out: list[Conflict] = []
    for (kind, res), holds in sorted(by_res.items()):
        holds.sort()
        # sweep: keep the hold of each AGV that reaches furthest so far
        reach: dict[tuple[int, int], tuple[float, float]] = {}
        for start, end, agv, way in holds:
            for (other, w2), (s2, e2) in reach.items():
                if other == agv:
                    continue
                follows = way != 0 and w2 == way
                if (start < s2 + gap) if follows else (start < e2 + gap):
                    out.append(Conflict(kind, res, (other, s2, e2), (agv, start, end)))
            prev = reach.get((agv, way))
            if prev is None or end > prev[1]:
                reach[(agv, way)] = (start, end)
            reach = {k: h for k, h in reach.items() if h[1] + gap > start}
    return out


class _Visit(Protocol):
    @property
    def node(self) -> int: ...
    @property
    def arrive(self) -> float: ...
    @property
    def depart(self) -> float: ...


class _Route(Protocol):
    @property
    def agv(self) -> int: ...
    @property
    def visits(self) -> Sequence[_Visit]: ...
    @property
    def edges(self) -> Sequence[int]: ...
    @property
    def ways(self) -> Sequence[int]: ...


def route_occupancy(routes: Iterable[_Route]) -> list[Occupancy]:
    """The node and edge holds of planned routes (``plan.dispatch.Route``)."""
    out: list[Occupancy] = []
    for r in routes:
        for k, v in enumerate(r.visits):
            out.append(("node", v.node, r.agv, v.arrive, v.depart, 0))
            if k + 1 < len(r.visits):
                e = r.edges[k]
                way = r.ways[k]
                out.append(("edge", e, r.agv, v.depart, r.visits[k + 1].arrive, way))
    return out


def check_safety(
    occupancy: Iterable[Occupancy],
    exempt_nodes: Sequence[int],
    tasks: Sequence[tuple[float, float | None]],
    last_nodes: Sequence[tuple[int, bool]],
    gap: float = 0.0,
) -> SafetyReport:
    """Collisions, unfinished tasks and stuck AGVs.

    ``tasks`` are ``(created, finished or None)``; ``last_nodes`` per AGV are
    ``(node at the end, busy at the end)``. With complete plans (every AGV's plan ends
    at an exempt node) a deadlock shows as a task that never finishes or an AGV
    standing idle off its parking node at the end.
    """
    conflicts = check_occupancy(occupancy, exempt_nodes, gap)
    unfinished = tuple(i for i, (_, done) in enumerate(tasks) if done is None)
    stuck = tuple(
        a for a, (node, busy) in enumerate(last_nodes) if not busy and node not in exempt_nodes
    )
    return SafetyReport(tuple(conflicts), unfinished, stuck)


def visit_occupancy(log: RecordLog, fleet: int = 0) -> list[Occupancy]:
    """The node and edge holds of one fleet's ``visit`` records (reserved routing)."""
    t = log.table("visit")
    cols = [t.column(c).tolist() for c in ("arrive", "depart", "fleet", "agv", "node", "edge",
                                           "way")]
    rows = [r for r in zip(*cols, strict=True) if r[2] == fleet]
    out: list[Occupancy] = []
    for k, (arrive, depart, _, agv, node, edge, way) in enumerate(rows):
        out.append(("node", node, agv, arrive, depart, 0))
        if edge >= 0:  # the next record is the next visit of the same route
            out.append(("edge", edge, agv, depart, rows[k + 1][0], way))
    return out


def run_safety(
    log: RecordLog, fleet: int, exempt_nodes: Sequence[int], horizon: float,
    gap: float = 0.0, settle: float = 3600.0,
) -> SafetyReport:
    """:func:`check_safety` on a run's records: the ``visit`` records give the holds; a
    task is a drop visit, finished when the AGV's ``transport`` record drops within it
    (drops planned later than ``horizon - settle`` are not counted); an AGV is stuck if
    its last chain ends off the exempt nodes."""
    v, tr = log.table("visit"), log.table("transport")
    mine = v.column("fleet") == fleet
    stops, agvs = v.column("stops")[mine], v.column("agv")[mine]
    arrive, depart = v.column("arrive")[mine], v.column("depart")[mine]
    done: dict[int, list[float]] = {}
    for agv, dropped, fl in zip(*(tr.column(c).tolist() for c in ("agv", "dropped", "fleet")),
                                strict=True):
        if fl == fleet:
            done.setdefault(agv, []).append(dropped)
    tasks: list[tuple[float, float | None]] = []
    for k in (i for i in range(len(stops)) if stops[i] & 2 and depart[i] <= horizon - settle):
        hits = [d for d in done.get(int(agvs[k]), []) if arrive[k] <= d <= depart[k]]
        tasks.append((float(arrive[k]), hits[0] if hits else None))
    # each AGV's routes are recorded in order: its last record is where it ends up, and
    # unless that closes a chain (stop bit 4) the AGV is still under way at the horizon
    last = {a: (n, not s & 4) for a, n, s in zip(agvs.tolist(), v.column("node")[mine].tolist(),
                                                 stops.tolist(), strict=True)}
    nodes = [last[a] for a in sorted(last)]
    return check_safety(visit_occupancy(log, fleet), exempt_nodes, tasks, nodes, gap)


@dataclass(frozen=True)
class FleetCheck:
    """:func:`check_fleet`'s answer: the safety report of one fleet over one run."""

    fleet: str
    agvs: int
    visits: int
    transports: int
    drops_checked: int
    report: SafetyReport
    nodes: tuple[str, ...]  # node index -> id, to name the conflicts
    edges: tuple[str, ...]  # edge index -> "from-to"


def check_fleet(run: Run, fleet: str | None = None) -> FleetCheck:
    """The safety check of a run's reserved fleet (by id, default the first): the
    ``visit`` records against each other (the fleet's ``gap_s`` apart, home exempt) and
    against the ``transport`` records (:func:`run_safety`)."""
    from taktline.plan.network import PathNetwork

    specs = run.plant.fleets
    ids = [f.id for f in specs]
    fid = fleet or (ids[0] if ids else "")
    if fid not in ids:
        raise ScenarioError(f"no fleet {fid!r} (fleets: {', '.join(ids) or 'none'})",
                            field="--fleet")
    idx = ids.index(fid)
    spec = specs[idx]
    if spec.routing != "reserved":
        raise ScenarioError(
            f"{run.plant.name}: fleet {fid!r} has routing: {spec.routing} - its AGVs pass "
            "through each other, there is nothing to check; set routing: reserved",
            field=f"fleets[{idx}].routing")
    net = PathNetwork.from_fleet(spec)
    report = run_safety(run.records, idx, [net.home], run.horizon_s,
                        gap=spec.gap_s * (1 - 1e-9))
    visits = run.records.table("visit")
    tr = run.records.table("transport")
    return FleetCheck(
        fleet=fid, agvs=spec.size,
        visits=int(np.count_nonzero(visits.column("fleet") == idx)),
        transports=int(np.count_nonzero(tr.column("fleet") == idx)),
        drops_checked=_drops(run.records, idx, run.horizon_s),
        report=report, nodes=net.ids,
        edges=tuple(f"{net.ids[a]}-{net.ids[b]}" for a, b in net.edge_ends))


def _drops(log: RecordLog, fleet: int, horizon: float, settle: float = 3600.0) -> int:
    """The drops :func:`run_safety` checks (planned to end ``settle`` before the horizon)."""
    v = log.table("visit")
    mine = (v.column("fleet") == fleet) & ((v.column("stops") & 2) > 0)
    return int(np.count_nonzero(mine & (v.column("depart") <= horizon - settle)))
