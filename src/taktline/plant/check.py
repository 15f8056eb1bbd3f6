"""Rules that span a whole plant: references must resolve, the routing graph must hold.

Each rule returns :class:`Problem` objects with the path of the offending field, so the
loader can name its line.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from taktline.plant.schema import PartSource, Plant, VehicleSource
from taktline.plant.yamlpos import Path

__all__ = ["Problem", "check_plant"]


@dataclass(frozen=True, slots=True)
class Problem:
    """A broken rule at a path of the plant file."""

    path: Path
    rule: str


def check_plant(plant: Plant) -> list[Problem]:
    """Every cross-reference problem of a validated plant (empty when it is sound).

    References are checked first; the routing rules (every buffer filled and emptied)
    only when every reference resolves, so a misspelt id is reported as itself and not
    as its consequences."""
    problems = [
        *_unique_ids(plant),
        *_station_refs(plant),
        *_source_sink_refs(plant),
        *_fleet_refs(plant),
        *_calendar_refs(plant),
        *_products(plant),
    ]
    return problems or list(_buffer_use(plant))


def _unique_ids(plant: Plant) -> Iterator[Problem]:
    seen: dict[str, str] = {}
    groups: list[tuple[str, list[str]]] = [
        ("shops", [s.id for s in plant.shops]),
        ("buffers", [b.id for b in plant.buffers]),
        ("stations", [s.id for s in plant.stations]),
        ("sources", [s.id for s in plant.sources]),
        ("sinks", [s.id for s in plant.sinks]),
        ("fleets", [f.id for f in plant.fleets]),
    ]
    for group, ids in groups:
        for i, ident in enumerate(ids):
            key = ident if group != "shops" else f"shop:{ident}"
            if key in seen:
                yield Problem((group, i, "id"), f"id {ident!r} is already used by {seen[key]}")
            else:
                seen[key] = f"{group}[{i}]"


def _station_refs(plant: Plant) -> Iterator[Problem]:
    buffers = {b.id for b in plant.buffers}
    shops = {s.id for s in plant.shops}
    variants = {v.id for v in plant.products.variants}
    models = {v.model for v in plant.products.variants if v.model}
    options = {o.id for o in plant.products.options}
    for i, st in enumerate(plant.stations):
        base: Path = ("stations", i)
        if st.shop not in shops:
            yield Problem((*base, "shop"), f"unknown shop {st.shop!r}")
        for j, inp in enumerate(st.inputs):
            if inp.buffer not in buffers:
                yield Problem((*base, "inputs", j), f"unknown buffer {inp.buffer!r}")
        for j, out in enumerate(st.outputs):
            if out.buffer not in buffers:
                yield Problem((*base, "outputs", j), f"unknown buffer {out.buffer!r}")
            if st.route == "by_part" and out.part is None:
                yield Problem((*base, "outputs", j), "route by_part needs a part on every output")
        if isinstance(st.cycle, dict):
            if "default" not in st.cycle and not variants <= set(st.cycle):
                yield Problem(
                    (*base, "cycle"),
                    "a cycle per variant needs every variant or a 'default' entry",
                )
            for key in st.cycle:
                if key != "default" and key not in variants | models:
                    yield Problem((*base, "cycle", key), f"unknown variant or model {key!r}")
        if st.option is not None and st.option.option not in options:
            yield Problem((*base, "option", "option"), f"unknown option {st.option.option!r}")
        if st.quality and st.quality.reject_to and st.quality.reject_to not in buffers:
            yield Problem(
                (*base, "quality", "reject_to"), f"unknown buffer {st.quality.reject_to!r}"
            )
        if not st.inputs and st.produces is None and st.route != "by_part":
            yield Problem((*base, "produces"), "a station without inputs must say what it produces")
        if len({i.buffer for i in st.inputs}) != len(st.inputs):
            yield Problem((*base, "inputs"), "the same buffer is listed twice")


def _source_sink_refs(plant: Plant) -> Iterator[Problem]:
    buffers = {b.id for b in plant.buffers}
    stations = {s.id for s in plant.stations}
    if not any(isinstance(s, VehicleSource) for s in plant.sources):
        yield Problem(("sources",), "a plant needs one source of kind 'vehicles'")
    for i, src in enumerate(plant.sources):
        if src.to not in buffers:
            yield Problem(("sources", i, "to"), f"unknown buffer {src.to!r}")
        if isinstance(src, PartSource) and src.call_off and src.call_off not in stations:
            yield Problem(("sources", i, "call_off"), f"unknown station {src.call_off!r}")
    for i, sink in enumerate(plant.sinks):
        if sink.from_ not in buffers:
            yield Problem(("sinks", i, "from"), f"unknown buffer {sink.from_!r}")


def _fleet_refs(plant: Plant) -> Iterator[Problem]:
    buffers = {b.id: b for b in plant.buffers}
    for f, fleet in enumerate(plant.fleets):
        base: Path = ("fleets", f)
        nodes = {n.id for n in fleet.network.nodes}
        if len(nodes) != len(fleet.network.nodes):
            yield Problem((*base, "network", "nodes"), "node ids must be unique")
        if fleet.home not in nodes:
            yield Problem((*base, "home"), f"unknown node {fleet.home!r}")
        for e, edge in enumerate(fleet.network.edges):
            for end, name in ((edge.from_, "from"), (edge.to, "to")):
                if end not in nodes:
                    yield Problem((*base, "network", "edges", e, name), f"unknown node {end!r}")
        for m, move in enumerate(fleet.moves):
            for ref, name in ((move.from_, "from"), (move.to, "to")):
                buf = buffers.get(ref)
                if buf is None:
                    yield Problem((*base, "moves", m, name), f"unknown buffer {ref!r}")
                elif buf.node is None or buf.node not in nodes:
                    yield Problem(
                        (*base, "moves", m, name),
                        f"buffer {ref!r} must sit on a node of this fleet's network",
                    )
        problems = list(_connected(fleet.network.nodes, fleet.network.edges, base))
        yield from problems
        if not problems and fleet.home in nodes:
            yield from _one_way_reach(fleet.home, fleet.network.edges, nodes, base)


def _one_way_reach(
    home: str, edges: list, nodes: set[str], base: Path  # type: ignore[type-arg]
) -> Iterator[Problem]:
    """Along the edges' directions (``two_way: false`` only from -> to), every node must be
    reachable from home and home from every node: an AGV sent anywhere comes back."""
    fwd: dict[str, set[str]] = {n: set() for n in nodes}
    back: dict[str, set[str]] = {n: set() for n in nodes}
    for e in edges:
        fwd[e.from_].add(e.to)
        back[e.to].add(e.from_)
        if e.two_way:
            fwd[e.to].add(e.from_)
            back[e.from_].add(e.to)
    for adj, rule in ((fwd, "cannot be reached from home"), (back, "cannot get back home")):
        missing = sorted(nodes - _reach(adj, home))
        if missing:
            yield Problem((*base, "network", "edges"),
                          f"along one-way edges, {missing[:5]} {rule}")


def _connected(nodes: list, edges: list, base: Path) -> Iterator[Problem]:  # type: ignore[type-arg]
    adj: dict[str, set[str]] = {n.id: set() for n in nodes}
    for e in edges:
        if e.from_ in adj and e.to in adj:
            adj[e.from_].add(e.to)
            adj[e.to].add(e.from_)
    if not adj:
        return
    missing = sorted(set(adj) - _reach(adj, next(iter(adj))))
    if missing:
        yield Problem(
            (*base, "network", "edges"), f"network is not connected: {missing[:5]} unreachable"
        )


def _reach(adj: dict[str, set[str]], start: str) -> set[str]:
    """The nodes reachable from ``start`` in ``adj``."""
    seen, todo = {start}, [start]
    while todo:
        for nxt in adj[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def _calendar_refs(plant: Plant) -> Iterator[Problem]:
    stations = {s.id for s in plant.stations}
    shops = {s.id for s in plant.shops}
    for i, win in enumerate(plant.calendar.maintenance):
        for j, sid in enumerate(win.stations or []):
            if sid not in stations:
                yield Problem(
                    ("calendar", "maintenance", i, "stations", j), f"unknown station {sid!r}"
                )
        for j, shop in enumerate(win.shops or []):
            if shop not in shops:
                yield Problem(("calendar", "maintenance", i, "shops", j), f"unknown shop {shop!r}")


def _products(plant: Plant) -> Iterator[Problem]:
    groups = (
        ("variants", plant.products.variants),
        ("colours", plant.products.colours),
        ("options", plant.products.options),
    )
    for name, items in groups:
        ids = [x.id for x in items]
        for i, ident in enumerate(ids):
            if ids.index(ident) != i:
                yield Problem(("products", name, i, "id"), f"id {ident!r} is listed twice")


def _buffer_use(plant: Plant) -> Iterator[Problem]:
    """Every buffer needs a way in and a way out, and exactly one kind of consumer."""
    producers: dict[str, int] = {b.id: 0 for b in plant.buffers}
    consumers: dict[str, set[str]] = {b.id: set() for b in plant.buffers}
    for st in plant.stations:
        for out in st.outputs:
            producers[out.buffer] = producers.get(out.buffer, 0) + 1
        if st.quality and st.quality.reject_to:
            producers[st.quality.reject_to] = producers.get(st.quality.reject_to, 0) + 1
        for inp in st.inputs:
            consumers.setdefault(inp.buffer, set()).add("station")
    for src in plant.sources:
        producers[src.to] = producers.get(src.to, 0) + 1
    for sink in plant.sinks:
        consumers.setdefault(sink.from_, set()).add("sink")
    for fleet in plant.fleets:
        for mv in fleet.moves:
            consumers.setdefault(mv.from_, set()).add("move")
            producers[mv.to] = producers.get(mv.to, 0) + 1
    for i, buf in enumerate(plant.buffers):
        kinds = consumers.get(buf.id, set())
        if not kinds:
            yield Problem(
                ("buffers", i, "id"),
                f"buffer {buf.id!r} has no consumer (station input, sink or AGV move)",
            )
        elif len(kinds) > 1:
            yield Problem(
                ("buffers", i, "id"),
                f"buffer {buf.id!r} is emptied by {' and '.join(sorted(kinds))}s; use one kind",
            )
        if not producers.get(buf.id) and not buf.initial:
            yield Problem(
                ("buffers", i, "id"), f"buffer {buf.id!r} has no producer and no initial stock"
            )
