"""Small plants, written in the plant format, that exercise every feature of the twin;
each runs with both engines, several seeds, two simulated days, and must give the very
same records."""

from __future__ import annotations

import pytest

from taktline.plant import parse_plant
from taktline.plant.orders import parse_sequence
from tests.sim.test_engine_equivalence import DAY, assert_same

PRODUCTS = """
products:
  variants:
    - {id: suv5, model: suv, share: 0.5}
    - {id: suv7, model: suv, share: 0.3}
    - {id: van, share: 0.2}
  colours: [{id: white, share: 0.5}, {id: black, share: 0.3}, {id: red, share: 0.2}]
  options: [{id: roof, take_rate: 0.4}, {id: hitch, take_rate: 0.2}]
"""



def head(name: str) -> str:
    """The first lines of a test plant: name, takt, one shop, the product mix."""
    return f"name: {name}\ntakt: 120\nshops: [{{id: s}}]\n" + PRODUCTS


PLANTS: dict[str, str] = {}

# Zero-capacity hand-over places between multi-server stations, a blocked chain and a
# scrap sink fed by a quality gate.
PLANTS["handover"] = head("handover") + """
sources: [{kind: vehicles, id: src, to: b0}]
buffers:
  - {id: b0, capacity: 1}
  - {id: h1, capacity: 0}
  - {id: h2, capacity: 0}
  - {id: h3, capacity: 0}
  - {id: out, capacity: 2}
  - {id: scrap, capacity: 0}
stations:
  - {id: a, shop: s, servers: 2, cycle: {dist: uniform, low: 80, high: 140}, inputs: [b0],
     outputs: [h1],
     failures: [{ttf: {dist: exponential, mean: 2h},
                 ttr: {dist: exponential, mean: 10min}}]}
  - {id: b, shop: s, servers: 3, cycle: {dist: exponential, mean: 150}, inputs: [h1], outputs: [h2]}
  - {id: c, shop: s, servers: 2, cycle: {dist: triangular, low: 60, mode: 90, high: 150},
     inputs: [h2], outputs: [h3]}
  - {id: d, shop: s, cycle: 70, inputs: [h3], outputs: [out],
     quality: {first_pass_yield: 0.9, reject_to: scrap}}
sinks: [{id: dispatch, from: out}, {id: scrapped, from: scrap, kind: scrap}]
"""

# Conveyors (transit, no overtaking) with a conveyor as the source's buffer and a
# conveyor feeding a hand-over place.
PLANTS["conveyors"] = head("conveyors") + """
sources: [{kind: vehicles, id: src, to: c0, interval: {dist: exponential, mean: 100}}]
buffers:
  - {id: c0, capacity: 5, transit: 300}
  - {id: c1, capacity: 8, transit: 20min}
  - {id: h, capacity: 0}
  - {id: c2, capacity: 3, transit: 45}
  - {id: out, capacity: 1}
stations:
  - {id: a, shop: s, servers: 2, cycle: {dist: normal, mean: 150, sd: 30, min: 120, max: 170},
     inputs: [c0], outputs: [c1],
     failures: [{ttf: {dist: weibull, shape: 1.5, scale: 3h},
                 ttr: {dist: gamma, shape: 2, scale: 200}}]}
  - {id: b, shop: s, cycle: {dist: erlang, k: 3, mean: 95}, inputs: [c1], outputs: [h]}
  - {id: c, shop: s, cycle: {dist: lognormal, mean: 80, sd: 30}, inputs: [h], outputs: [c2]}
  - {id: d, shop: s, cycle: {dist: empirical, values: [60, 70, 75, 90, 120]}, inputs: [c2],
     outputs: [out]}
sinks: [{id: dispatch, from: out}]
"""

# Assembly: multi-server stations, joins with qty, a join of parts that makes a part,
# routes round_robin and shortest, a per-variant/model cycle and a part feed on a clock.
PLANTS["joins"] = head("joins") + """
sources:
  - {kind: vehicles, id: src, to: body}
  - {kind: parts, id: bolts, part: bolt, to: bolt_store, interval: {dist: exponential, mean: 20}}
  - {kind: parts, id: sheet, part: sheet, to: sheet_store}
buffers:
  - {id: body, capacity: 2}
  - {id: bolt_store, capacity: 30, initial: 10}
  - {id: sheet_store, capacity: 4, initial: 4}
  - {id: brackets, capacity: 6, initial: 2}
  - {id: l1, capacity: 2}
  - {id: l2, capacity: 3}
  - {id: m1, capacity: 2}
  - {id: m2, capacity: 2}
  - {id: m3, capacity: 1}
  - {id: out, capacity: 4}
  - {id: spares, capacity: 2}
stations:
  - {id: bracket, shop: s, servers: 2, cycle: 40,
     inputs: [sheet_store, {buffer: bolt_store, qty: 2}],
     produces: bracket, outputs: [brackets]}
  - {id: frame, shop: s, servers: 2, cycle: {default: 150, suv: 170, van: 140},
     inputs: [body, {buffer: brackets, qty: 2}], route: round_robin, outputs: [l1, l2],
     failures: [{name: jam, ttf: {dist: exponential, mean: 3h},
                 ttr: {dist: uniform, low: 60, high: 600}}]}
  - {id: left, shop: s, cycle: {suv5: 160, suv7: 175, default: 150}, inputs: [l1],
     route: shortest, outputs: [m1, m2, m3]}
  - {id: right, shop: s, servers: 2, cycle: 290, inputs: [l2], route: shortest,
     outputs: [m1, m2, m3]}
  - {id: merge1, shop: s, cycle: 200, inputs: [m1], outputs: [out]}
  - {id: merge2, shop: s, cycle: 210, inputs: [m2], outputs: [out]}
  - {id: merge3, shop: s, cycle: 220, inputs: [m3], outputs: [out]}
  - {id: feed, shop: s, cycle: 10, inputs: [bolt_store], produces: spare, outputs: [spares]}
sinks: [{id: dispatch, from: out}, {id: spare_bin, from: spares, kind: scrap}]
"""

# Stamping: a raw press making lots by part (emptiest store first) with die changes,
# a colour booth with purges and a batch limit, setups on variant and model, and an
# option station with an N/P ratio.
PLANTS["press"] = head("press") + """
sources: [{kind: vehicles, id: src, to: body}]
buffers:
  - {id: st_a, capacity: 40, initial: 20}
  - {id: st_b, capacity: 40, initial: 5}
  - {id: st_c, capacity: 20}
  - {id: body, capacity: 2}
  - {id: p1, capacity: 3}
  - {id: p2, capacity: 3}
  - {id: p3, capacity: 3}
  - {id: p4, capacity: 3}
  - {id: out, capacity: 2}
stations:
  - {id: press, shop: s, cycle: 12, route: by_part, lot_size: 15,
     setup: {on: part, time: {dist: uniform, low: 5, high: 30}},
     outputs: [{buffer: st_a, part: panel_a}, {buffer: st_b, part: panel_b},
               {buffer: st_c, part: panel_c}],
     failures: [{ttf: {dist: exponential, mean: 5h},
                 ttr: {dist: lognormal, mean: 12min, sd: 8min}}]}
  - {id: weld, shop: s, cycle: 100, inputs: [body, st_a, {buffer: st_b, qty: 2}, st_c],
     outputs: [p1], setup: {on: model, time: 30}}
  - {id: paint, shop: s, cycle: {dist: normal, mean: 95, sd: 3, min: 85}, inputs: [p1],
     outputs: [p2], setup: {on: colour, time: 20, max_batch: 4}}
  - {id: tool, shop: s, cycle: 90, inputs: [p2], outputs: [p3],
     setup: {on: variant, time: {dist: exponential, mean: 15}}}
  - {id: roof, shop: s, cycle: 95, inputs: [p3], outputs: [p4],
     option: {option: roof, ratio: 2/5, slowdown: 1.3}}
  - {id: hitch, shop: s, cycle: 90, inputs: [p4], outputs: [out],
     option: {option: hitch, ratio: 1/1, slowdown: 1.2}}
sinks: [{id: dispatch, from: out}]
"""

# Failures on calendar and operating basis, several modes, planned maintenance windows
# (repeating, by station and by shop, overlapping) and a quality gate with a rework loop.
PLANTS["stops"] = """
name: stops
takt: 120
shops: [{id: s}, {id: t}]
""" + PRODUCTS + """
sources: [{kind: vehicles, id: src, to: b0}]
buffers:
  - {id: b0, capacity: 2}
  - {id: b1, capacity: 3}
  - {id: b2, capacity: 6}
  - {id: rework_q, capacity: null}
  - {id: b3, capacity: 2}
  - {id: out, capacity: 1}
stations:
  - {id: a, shop: s, cycle: 100, inputs: [b0], outputs: [b1],
     failures: [{name: cal, ttf: {dist: exponential, mean: 2h},
                 ttr: {dist: exponential, mean: 10min},
                 basis: calendar},
                {name: op, ttf: {dist: geometric, p: 0.02, step: 110}, ttr: 300}]}
  - {id: b, shop: s, servers: 2, cycle: {dist: uniform, low: 150, high: 230}, inputs: [b1],
     outputs: [b2],
     failures: [{ttf: {dist: exponential, mean: 1h}, ttr: {dist: exponential, mean: 4min},
                 basis: calendar}]}
  - {id: gate, shop: t, cycle: 90, inputs: [b2], outputs: [b3],
     quality: {first_pass_yield: 0.9, reject_to: rework_q},
     failures: [{ttf: {dist: exponential, mean: 90min}, ttr: {dist: exponential, mean: 5min}}]}
  - {id: rework, shop: t, servers: 3, cycle: {dist: exponential, mean: 300}, inputs: [rework_q],
     outputs: [b2]}
  - {id: final, shop: t, cycle: 80, inputs: [b3], outputs: [out]}
sinks: [{id: dispatch, from: out}]
calendar:
  maintenance:
    - {name: shift_break, start: 4h, duration: 30min, every: 8h}
    - {name: tpm, start: 10h, duration: 2h, stations: [b, gate]}
    - {name: paint_clean, start: 3h, duration: 1h, every: 5h, shops: [t]}
"""

# Unbounded buffers with a Poisson source: an M/M/2 queue, then an M/M/1 one.
PLANTS["queue"] = head("queue") + """
sources: [{kind: vehicles, id: arrivals, to: q1, interval: {dist: exponential, mean: 60}}]
buffers:
  - {id: q1, capacity: null}
  - {id: q2, capacity: null}
  - {id: done, capacity: 1}
stations:
  - {id: server1, shop: s, servers: 2, cycle: {dist: exponential, mean: 100}, inputs: [q1],
     outputs: [q2]}
  - {id: server2, shop: s, cycle: {dist: exponential, mean: 55}, inputs: [q2], outputs: [done]}
sinks: [{id: dispatch, from: done}]
"""

# A just-in-sequence feed: every vehicle leaving `call` calls off a pack, delivered a
# lead time later; the dock backs up when the stock is full.
PLANTS["call_off"] = head("call_off") + """
sources:
  - {kind: vehicles, id: src, to: b0}
  - {kind: parts, id: packs, part: pack, to: stock, call_off: call,
     lead_time: {dist: triangular, low: 600, mode: 900, high: 1800}}
  - {kind: parts, id: seats, part: seat, to: seat_stock, call_off: call, lead_time: 300}
buffers:
  - {id: b0, capacity: 1}
  - {id: b1, capacity: 30}
  - {id: stock, capacity: 3, initial: 3}
  - {id: seat_stock, capacity: 5, initial: 2}
  - {id: b2, capacity: 2}
  - {id: out, capacity: 1}
stations:
  - {id: call, shop: s, cycle: {dist: uniform, low: 60, high: 130}, inputs: [b0], outputs: [b1]}
  - {id: marry, shop: s, cycle: 100, inputs: [b1, stock, seat_stock], outputs: [b2],
     failures: [{ttf: {dist: exponential, mean: 1h}, ttr: {dist: exponential, mean: 20min}}]}
  - {id: end, shop: s, cycle: 90, inputs: [b2], outputs: [out]}
sinks: [{id: dispatch, from: out}]
"""

# Two AGV fleets: several moves sharing AGVs, a parts move, a move into a hand-over
# place and one-way edges; nearest-idle dispatch and reservations.
PLANTS["agvs"] = head("agvs") + """
sources:
  - {kind: vehicles, id: src, to: b0}
  - {kind: parts, id: parts, part: module, to: dock, interval: {dist: exponential, mean: 150}}
buffers:
  - {id: b0, capacity: 1}
  - {id: p1, capacity: 2, node: n1}
  - {id: d1, capacity: 3, node: n3}
  - {id: p2, capacity: 2, node: n4}
  - {id: d2, capacity: 2, node: n2}
  - {id: dock, capacity: 10, node: n5}
  - {id: stock, capacity: 4, initial: 2, node: n3}
  - {id: p3, capacity: 1, node: x1}
  - {id: h, capacity: 0, node: x2}
  - {id: out, capacity: 1}
stations:
  - {id: a, shop: s, cycle: {dist: uniform, low: 80, high: 120}, inputs: [b0], outputs: [p1]}
  - {id: b, shop: s, servers: 2, cycle: 150, inputs: [d1, stock], outputs: [p2],
     failures: [{ttf: {dist: exponential, mean: 2h}, ttr: {dist: exponential, mean: 6min}}]}
  - {id: c, shop: s, cycle: 85, inputs: [d2], outputs: [p3]}
  - {id: d, shop: s, cycle: 70, inputs: [h], outputs: [out]}
fleets:
  - id: tuggers
    size: 3
    speed: 1.5
    load: {dist: uniform, low: 5, high: 15}
    unload: 8
    home: n0
    network:
      nodes:
        - {id: n0, x: 0, y: 0}
        - {id: n1, x: 30, y: 0}
        - {id: n2, x: 60, y: 20}
        - {id: n3, x: 30, y: 40}
        - {id: n4, x: 0, y: 40}
        - {id: n5, x: 90, y: 40}
      edges:
        - {from: n0, to: n1}
        - {from: n1, to: n2, two_way: false}
        - {from: n2, to: n3}
        - {from: n3, to: n4, length: 50}
        - {from: n4, to: n0}
        - {from: n3, to: n5}
    moves:
      - {from: p1, to: d1}
      - {from: p2, to: d2}
      - {from: dock, to: stock}
  - id: shuttle
    size: 1
    speed: 2
    home: x1
    network:
      nodes: [{id: x1, x: 0, y: 0}, {id: x2, x: 20, y: 0}]
      edges: [{from: x1, to: x2}]
    moves: [{from: p3, to: h}]
sinks: [{id: dispatch, from: out}]
"""

# Two vehicle sources (the first from a sequence when one is given), a saturated source
# into a large buffer, parts into a store, and initial stock on a conveyor.
PLANTS["sources"] = head("sources") + """
sources:
  - {kind: vehicles, id: main, to: b0, interval: 100}
  - {kind: vehicles, id: extra, to: b1, part: chassis}
  - {kind: parts, id: clip_feed, part: clip, to: clips}
buffers:
  - {id: b0, capacity: 2}
  - {id: b1, capacity: 12}
  - {id: clips, capacity: 3}
  - {id: conv, capacity: 6, transit: 200, initial: 4}
  - {id: out, capacity: 2}
stations:
  - {id: a, shop: s, cycle: 90, inputs: [b0, clips], outputs: [conv]}
  - {id: b, shop: s, cycle: 250, inputs: [b1], outputs: [conv]}
  - {id: c, shop: s, servers: 2, cycle: 100, inputs: [conv], outputs: [out]}
sinks: [{id: dispatch, from: out}]
"""


@pytest.mark.parametrize("name", sorted(PLANTS))
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_feature_plant(name: str, seed: int) -> None:
    r = assert_same(parse_plant(PLANTS[name], filename=f"{name}.yaml"), 2 * DAY, seed)
    assert r.completed > 0


def test_two_vehicle_sources_one_from_a_sequence() -> None:
    """The first vehicle source takes the sequence, the second draws from the mix; the
    order ids of both come out in the order the vehicles were made."""
    p = parse_plant(PLANTS["sources"], filename="sources.yaml")
    rows = ["order_id,variant,colour,options"]
    rows += [f"S{k:04d},{('suv5', 'van', 'suv7')[k % 3]},{('red', 'white')[k % 2]},"
             f"{'roof' if k % 4 == 0 else ''}" for k in range(300)]
    orders = parse_sequence("\n".join(rows) + "\n", p)
    r = assert_same(p, DAY, 4, orders=orders)
    names = r.records.orders
    assert any(n.startswith("S") for n in names) and any(n.startswith("V") for n in names)
