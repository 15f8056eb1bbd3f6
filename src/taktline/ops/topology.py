"""What the MES needs to know about a plant's structure, derived once from its description.

* the **vehicle path**: the buffers a vehicle passes (from the vehicle sources' buffers
  through station outputs, reject routes and AGV moves) and, for each station on it, the
  input buffer its vehicles come from;
* **robots** of each station with stable ids (``ub_20.spot_welding.3``), and the group
  of robots of one type that can stand in for each other (degraded mode);
* **parallel branches**: chains of stations that leave one buffer side by side and
  merge again into one buffer (the two respot lines of the reference plant);
* **option stations** (a station with an ``option`` rule) and **press stations** (raw
  material in, parts out: their lots are tracked for genealogy);
* the **quality gates** on the vehicle path (stations with ``quality``), the last of
  which gives the end-of-line result.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from taktline.plant.schema import Plant, VehicleSource

__all__ = ["Branch", "RobotGroup", "Topology", "robot_ids"]

NON_PROCESS = frozenset({"handling"})
"""Robot types that only move the work; they do not stand in for process robots."""


@dataclass(frozen=True, slots=True)
class RobotGroup:
    """Robots of one type at one station that can take over each other's work."""

    station: str
    type: str
    robots: tuple[str, ...]

    @property
    def count(self) -> int:
        return len(self.robots)


@dataclass(frozen=True, slots=True)
class Branch:
    """One of several parallel chains of stations between a split and a merge buffer."""

    split: str
    merge: str
    stations: tuple[str, ...]
    siblings: tuple[tuple[str, ...], ...]  # the other branches of the same split

    @property
    def entry(self) -> str:
        return self.stations[0]


def robot_ids(plant: Plant, station: str) -> tuple[str, ...]:
    """Every robot of a station, ``<station>.<type>.<n>`` numbered per type from 1."""
    out: list[str] = []
    for r in plant.station(station).robots:
        start = sum(x.split(".")[-2] == r.type for x in out)
        out.extend(f"{station}.{r.type}.{start + k}" for k in range(1, r.count + 1))
    return tuple(out)


@dataclass(frozen=True)
class Topology:
    """The structure of a plant as the MES sees it (see the module docstring)."""

    plant: Plant
    vehicle_buffers: frozenset[str]
    vehicle_input: dict[str, str]
    vehicle_stations: tuple[str, ...]
    entry_buffers: tuple[str, ...]
    press_stations: frozenset[str]
    robots: dict[str, tuple[str, ...]]
    groups: dict[str, RobotGroup]
    branches: dict[str, Branch]
    option_stations: dict[str, str]
    quality_gates: tuple[str, ...]

    @classmethod
    def of(cls, plant: Plant) -> Topology:
        entries = tuple(s.to for s in plant.sources if isinstance(s, VehicleSource))
        buffers, order = _vehicle_path(plant, entries)
        vin_input = {}
        for st in plant.stations:
            for inp in st.inputs:
                if inp.buffer in buffers:
                    vin_input[st.id] = inp.buffer
                    break
        robots = {st.id: robot_ids(plant, st.id) for st in plant.stations}
        return cls(
            plant=plant,
            vehicle_buffers=frozenset(buffers),
            vehicle_input=vin_input,
            vehicle_stations=tuple(order),
            entry_buffers=entries,
            press_stations=frozenset(st.id for st in plant.stations if not st.inputs),
            robots=robots,
            groups={g.station: g for g in (_group(plant, s.id, robots[s.id])
                                           for s in plant.stations) if g is not None},
            branches=_branches(plant, buffers),
            option_stations={st.id: st.option.option for st in plant.stations
                             if st.option is not None},
            quality_gates=tuple(s for s in order if plant.station(s).quality is not None),
        )

    def output_for(self, station: str, good: bool) -> str:
        """The buffer a vehicle finished at ``station`` goes to (reject route if bad)."""
        st = self.plant.station(station)
        if not good and st.quality is not None and st.quality.reject_to:
            return st.quality.reject_to
        for out in st.outputs:
            if out.buffer in self.vehicle_buffers:
                return out.buffer
        return st.outputs[0].buffer


def _consumers(plant: Plant) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for st in plant.stations:
        for inp in st.inputs:
            out.setdefault(inp.buffer, []).append(st.id)
    return out


def _producers(plant: Plant) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for st in plant.stations:
        for o in st.outputs:
            out.setdefault(o.buffer, []).append(st.id)
        if st.quality is not None and st.quality.reject_to:
            out.setdefault(st.quality.reject_to, []).append(st.id)
    return out


def _vehicle_path(plant: Plant, entries: tuple[str, ...]) -> tuple[set[str], list[str]]:
    """Buffers reachable by vehicles, and the stations on the path in breadth-first order."""
    consumers = _consumers(plant)
    moves: dict[str, list[str]] = {}
    for fleet in plant.fleets:
        for mv in fleet.moves:
            moves.setdefault(mv.from_, []).append(mv.to)
    seen_b: set[str] = set(entries)
    seen_s: list[str] = []
    queue = deque(entries)
    while queue:
        buf = queue.popleft()
        nxt: list[str] = list(moves.get(buf, []))
        for sid in consumers.get(buf, []):
            if sid in seen_s:
                continue
            seen_s.append(sid)
            st = plant.station(sid)
            nxt.extend(o.buffer for o in st.outputs)
            if st.quality is not None and st.quality.reject_to:
                nxt.append(st.quality.reject_to)
        for b in nxt:
            if b not in seen_b:
                seen_b.add(b)
                queue.append(b)
    return seen_b, seen_s


def _group(plant: Plant, station: str, ids: tuple[str, ...]) -> RobotGroup | None:
    """The largest group of process robots of one type at the station."""
    counts: dict[str, int] = {}
    for r in plant.station(station).robots:
        if r.type not in NON_PROCESS:
            counts[r.type] = counts.get(r.type, 0) + r.count
    if not counts:
        return None
    kind = max(counts, key=lambda k: counts[k])
    return RobotGroup(station, kind, tuple(i for i in ids if i.split(".")[-2] == kind))


def _chain(plant: Plant, first: str, consumers: dict[str, list[str]],
           producers: dict[str, list[str]]) -> tuple[list[str], str | None]:
    """Follow single-input single-output stations from ``first`` to a merge buffer."""
    chain = [first]
    sid = first
    while True:
        outs = plant.station(sid).outputs
        if len(outs) != 1:
            return chain, None
        buf = outs[0].buffer
        if len(producers.get(buf, [])) > 1:
            return chain, buf
        nxt = consumers.get(buf, [])
        if len(nxt) != 1 or nxt[0] in chain:
            return chain, None
        sid = nxt[0]
        chain.append(sid)


def _branches(plant: Plant, vehicle_buffers: set[str]) -> dict[str, Branch]:
    consumers = _consumers(plant)
    producers = _producers(plant)
    out: dict[str, Branch] = {}
    for buf in sorted(vehicle_buffers):
        firsts = consumers.get(buf, [])
        if len(firsts) < 2:
            continue
        chains = [_chain(plant, f, consumers, producers) for f in firsts]
        merges = {m for _, m in chains}
        if len(merges) != 1 or None in merges:
            continue
        merge = next(iter(merges))
        assert merge is not None
        for chain, _ in chains:
            others = tuple(tuple(c) for c, _ in chains if c is not chain)
            branch = Branch(buf, merge, tuple(chain), others)
            for sid in chain:
                out[sid] = branch
    return out
