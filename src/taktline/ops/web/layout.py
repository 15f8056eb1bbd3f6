"""The plant map of the dashboard: where each station and buffer is drawn.

Two sources, decided per plant:

* ``plant`` - the plant file's optional ``layout`` section gives a point (metres) for
  every station; buffers without a point of their own sit at the centre of the stations
  that fill and empty them; the points are scaled so that neighbouring stations (the
  median distance to the nearest one) are 1.5 map units apart;
* ``automatic`` - otherwise a layered layout of the routing graph, computed here,
  deterministic (the same plant always gives the same map):

  1. the station graph: an edge ``a -> b`` when ``a`` puts into a buffer ``b`` takes from,
     directly or through an AGV move (rejects to a repair queue count too);
  2. per shop, each station gets a column (its layer): the longest path from the shop's
     first stations, then pulled right to just before its successors so feeder lines end
     where they merge; cycles (rework loops) are cut at their back edges;
  3. the rows inside a shop follow the predecessors' rows (barycentre sweeps), then are
     spread to one row apart;
  4. shops become rectangles packed in plant order onto shelves; a shelf is as wide as
     the widest shop or a third of the total width (the map comes out about twice as wide
     as high);

Units of the automatic layout are columns and rows; the page scales either kind to fit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from taktline.plant.schema import Plant

__all__ = ["PlantMap", "plant_map"]

SHOP_GAP = 1.0  # columns / rows between two shop rectangles
BUFFER_STEP = 0.2  # columns between buffers that share a spot
PLANT_SPACING = 1.5  # map units between neighbouring stations of a plant's own layout


@dataclass
class PlantMap:
    """Positions of the stations, buffers and shops, and the links between them."""

    source: str  # "plant" or "automatic"
    stations: dict[str, tuple[float, float]]
    buffers: dict[str, tuple[float, float]]
    shops: dict[str, tuple[float, float, float, float]]  # x, y, width, height
    links: list[tuple[str, str, str]] = field(default_factory=list)  # from, to, kind

    def to_dict(self, plant: Plant) -> dict[str, Any]:
        xs = [p[0] for p in (*self.stations.values(), *self.buffers.values())]
        ys = [p[1] for p in (*self.stations.values(), *self.buffers.values())]
        for x, y, w, h in self.shops.values():
            xs += [x, x + w]
            ys += [y, y + h]
        names = {s.id: s.name or s.id for s in plant.shops}
        caps = {b.id: b.capacity for b in plant.buffers}
        return {
            "source": self.source,
            "bounds": [min(xs), min(ys), max(xs), max(ys)],
            "shops": [{"id": k, "name": names.get(k, k), "x": v[0], "y": v[1], "w": v[2],
                       "h": v[3]} for k, v in self.shops.items()],
            "stations": [{"id": k, "x": v[0], "y": v[1]} for k, v in self.stations.items()],
            "buffers": [{"id": k, "x": v[0], "y": v[1], "capacity": caps.get(k)}
                        for k, v in self.buffers.items()],
            "links": [{"from": a, "to": b, "kind": k} for a, b, k in self.links],
        }


def _links(plant: Plant) -> list[tuple[str, str, str]]:
    """Station -> buffer, buffer -> station and buffer -> buffer (AGV) links."""
    out: list[tuple[str, str, str]] = []
    for st in plant.stations:
        out += [(i.buffer, st.id, "flow") for i in st.inputs]
        out += [(st.id, o.buffer, "flow") for o in st.outputs]
        if st.quality is not None and st.quality.reject_to:
            out.append((st.id, st.quality.reject_to, "reject"))
    for fleet in plant.fleets:
        out += [(m.from_, m.to, "agv") for m in fleet.moves]
    return list(dict.fromkeys(out))


def _station_graph(plant: Plant, links: list[tuple[str, str, str]]) -> dict[str, list[str]]:
    """Station -> stations fed by it (through one buffer, or a buffer and an AGV move)."""
    stations = {s.id for s in plant.stations}
    takers: dict[str, list[str]] = {}
    agv: dict[str, list[str]] = {}
    for a, b, kind in links:
        if kind == "agv":
            agv.setdefault(a, []).append(b)
        elif a not in stations:
            takers.setdefault(a, []).append(b)
    succ: dict[str, list[str]] = {s.id: [] for s in plant.stations}
    for a, b, _ in links:
        if a not in stations:
            continue
        for buf in (b, *agv.get(b, ())):
            for t in takers.get(buf, ()):
                if t not in succ[a]:
                    succ[a].append(t)
    return succ


def _acyclic(nodes: list[str], succ: dict[str, list[str]]) -> dict[str, list[str]]:
    """The graph without its back edges (depth-first in the given order)."""
    keep: dict[str, list[str]] = {n: [] for n in nodes}
    state: dict[str, int] = {}
    for root in nodes:
        if root in state:
            continue
        stack = [(root, iter(succ[root]))]
        state[root] = 1
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                state[node] = 2
                stack.pop()
            elif state.get(nxt) != 1:
                keep[node].append(nxt)
                if nxt not in state:
                    state[nxt] = 1
                    stack.append((nxt, iter(succ[nxt])))
    return keep


def _topo(nodes: list[str], succ: dict[str, list[str]]) -> list[str]:
    indeg = {n: 0 for n in nodes}
    for n in nodes:
        for m in succ[n]:
            indeg[m] += 1
    ready = [n for n in nodes if indeg[n] == 0]
    out: list[str] = []
    while ready:
        n = ready.pop(0)
        out.append(n)
        for m in succ[n]:
            indeg[m] -= 1
            if indeg[m] == 0:
                ready.append(m)
    return out


def _layers(order: list[str], succ: dict[str, list[str]]) -> dict[str, int]:
    pred: dict[str, list[str]] = {n: [] for n in order}
    for n in order:
        for m in succ[n]:
            pred[m].append(n)
    layer = {n: 0 for n in order}
    for n in order:
        for m in succ[n]:
            layer[m] = max(layer[m], layer[n] + 1)
    for n in reversed(order):
        if succ[n]:
            layer[n] = min(layer[m] for m in succ[n]) - 1
    low = min(layer.values(), default=0)
    return {n: v - low for n, v in layer.items()}


def _rows(order: list[str], succ: dict[str, list[str]], layer: dict[str, int]) -> dict[str, float]:
    """Row of each node: follow the neighbours' rows, at least one row apart per layer."""
    pred: dict[str, list[str]] = {n: [] for n in order}
    for n in order:
        for m in succ[n]:
            pred[m].append(n)
    cols: dict[int, list[str]] = {}
    for n in order:
        cols.setdefault(layer[n], []).append(n)
    row = {n: float(i) for c in cols.values() for i, n in enumerate(c)}
    for sweep in range(6):
        keys = sorted(cols) if sweep % 2 == 0 else sorted(cols, reverse=True)
        for k in keys:
            col = cols[k]
            near = pred if sweep % 2 == 0 else succ
            want = {n: (sum(row[m] for m in near[n]) / len(near[n]) if near[n] else row[n])
                    for n in col}
            col.sort(key=lambda n: (want[n], order.index(n)))
            last = -1e9
            for n in col:
                row[n] = max(want[n], last + 1.0)
                last = row[n]
    low = min(row.values(), default=0.0)
    return {n: v - low for n, v in row.items()}


def _shop_blocks(plant: Plant, succ: dict[str, list[str]]
                 ) -> dict[str, dict[str, tuple[float, float]]]:
    """Per shop: station -> (column, row) inside the shop's own rectangle."""
    out: dict[str, dict[str, tuple[float, float]]] = {}
    for shop in plant.shops:
        nodes = [s.id for s in plant.stations if s.shop == shop.id]
        if not nodes:
            continue
        inner = {n: [m for m in succ[n] if m in nodes] for n in nodes}
        dag = _acyclic(nodes, inner)
        order = _topo(nodes, dag)
        layer = _layers(order, dag)
        rows = _rows(order, dag, layer)
        out[shop.id] = {n: (float(layer[n]), rows[n]) for n in nodes}
    return out


def _pack(blocks: dict[str, dict[str, tuple[float, float]]]
          ) -> tuple[dict[str, tuple[float, float]], dict[str, tuple[float, float, float, float]]]:
    """Place the shop rectangles on shelves (plant order) and return absolute positions."""
    size = {k: (max(p[0] for p in v.values()) + 1, max(p[1] for p in v.values()) + 1)
            for k, v in blocks.items()}
    total = sum(w + SHOP_GAP for w, _ in size.values())
    limit = max(max((w for w, _ in size.values()), default=1.0), total / 3)
    stations: dict[str, tuple[float, float]] = {}
    shops: dict[str, tuple[float, float, float, float]] = {}
    x = y = shelf_h = 0.0
    for shop, (w, h) in size.items():
        if x > 0 and x + w > limit + 1e-9:
            x, y, shelf_h = 0.0, y + shelf_h + SHOP_GAP, 0.0
        shops[shop] = (x, y, w, h)
        for n, (cx, cy) in blocks[shop].items():
            stations[n] = (x + cx + 0.5, y + cy + 0.5)
        x += w + SHOP_GAP
        shelf_h = max(shelf_h, h)
    return stations, shops


def _buffers(plant: Plant, links: list[tuple[str, str, str]],
             stations: dict[str, tuple[float, float]]) -> dict[str, tuple[float, float]]:
    """A buffer sits between the stations that fill it and those that empty it; one at
    the end of a line or between two shops sits half a column after its producers, one
    fed from outside half a column before its consumers, one that only AGVs serve
    diagonally next to the buffer at the other end of its move. A buffer linked to
    nothing is not drawn."""
    into: dict[str, list[str]] = {}
    outof: dict[str, list[str]] = {}
    for a, b, kind in links:
        if kind == "agv":
            continue
        if a in stations:
            into.setdefault(b, []).append(a)
        else:
            outof.setdefault(a, []).append(b)
    shop = {s.id: s.shop for s in plant.stations}
    out: dict[str, tuple[float, float]] = {}
    for buf in plant.buffers:
        src = [stations[s] for s in into.get(buf.id, ())]
        dst = [stations[s] for s in outof.get(buf.id, ())]
        crossing = {shop[s] for s in into.get(buf.id, ())} != \
            {shop[s] for s in outof.get(buf.id, ())}
        if src and dst and not crossing:
            out[buf.id] = ((_mean([p[0] for p in src]) + _mean([p[0] for p in dst])) / 2,
                           (_mean([p[1] for p in src]) + _mean([p[1] for p in dst])) / 2)
        elif src:  # the end of a line, or a buffer between shops: after its producers
            out[buf.id] = (max(p[0] for p in src) + 0.5, _mean([p[1] for p in src]))
        elif dst:
            out[buf.id] = (min(p[0] for p in dst) - 0.5, _mean([p[1] for p in dst]))
    for a, b, kind in links:  # a buffer only AGVs fill or empty sits by its partner
        if kind == "agv" and a in out and b not in out:
            out[b] = (out[a][0] + 0.5, out[a][1] + 0.5)
        elif kind == "agv" and b in out and a not in out:
            out[a] = (out[b][0] - 0.5, out[b][1] + 0.5)
    return _spread(out)


def _spread(points: dict[str, tuple[float, float]]) -> dict[str, tuple[float, float]]:
    """Buffers that would sit on one spot (the stores after a press) side by side."""
    spots: dict[tuple[float, float], list[str]] = {}
    for k, (x, y) in points.items():
        spots.setdefault((round(x, 3), round(y, 3)), []).append(k)
    out = dict(points)
    for (x, y), ids in spots.items():
        for n, k in enumerate(ids):
            out[k] = (x + BUFFER_STEP * n, y)
    return out


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


def _from_plant(plant: Plant) -> tuple[dict[str, tuple[float, float]], float] | None:
    """The stations' points of the plant's layout in map units (neighbouring stations
    ``PLANT_SPACING`` apart, like the automatic layout's columns) and the scale used."""
    pts = plant.layout
    if not pts or any(s.id not in pts for s in plant.stations):
        return None
    raw = [(pts[s.id].x, pts[s.id].y) for s in plant.stations]
    near = sorted(min((math.dist(a, b) for b in raw if b != a), default=0.0) for a in raw)
    near = [d for d in near if d > 0]
    k = PLANT_SPACING / near[len(near) // 2] if near else 1.0
    return {s.id: (p[0] * k, p[1] * k) for s, p in zip(plant.stations, raw, strict=True)}, k


def plant_map(plant: Plant) -> PlantMap:
    """The map of ``plant``: its own layout if it gives every station a point, else the
    automatic layered layout (see the module docstring)."""
    links = _links(plant)
    given = _from_plant(plant)
    scale = 1.0
    if given is not None:
        stations, scale = given
        shops: dict[str, tuple[float, float, float, float]] = {}
        for shop in plant.shops:
            pts = [stations[s.id] for s in plant.stations if s.shop == shop.id]
            if pts:
                x0, y0 = min(p[0] for p in pts), min(p[1] for p in pts)
                shops[shop.id] = (x0 - 0.5, y0 - 0.5, max(p[0] for p in pts) - x0 + 1,
                                  max(p[1] for p in pts) - y0 + 1)
        source = "plant"
    else:
        stations, shops = _pack(_shop_blocks(plant, _station_graph(plant, links)))
        source = "automatic"
    buffers = _buffers(plant, links, stations)
    for b in plant.buffers:
        if given is not None and b.id in plant.layout:
            buffers[b.id] = (plant.layout[b.id].x * scale, plant.layout[b.id].y * scale)
    return PlantMap(source=source, stations=stations, buffers=buffers, shops=shops,
                    links=links)
