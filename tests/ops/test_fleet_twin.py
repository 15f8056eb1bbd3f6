"""The twin's AGVs as VDA 5050 vehicles: in process, and through a real broker in serve."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from taktline.analysis.fleet import Occupancy, check_occupancy
from taktline.ops.api import create_app
from taktline.ops.driver import PlantEvent
from taktline.ops.fleet.schemas import validate
from taktline.ops.twin_driver import TwinDriver
from taktline.plant.load import load_plant
from taktline.plant.orders import Order
from tests.ops.conftest import OPERATOR, VIEWER, auth, serving, settings_for
from tests.ops.test_fleet_interop import broker  # noqa: F401  (the mosquitto fixture)

PLANT = load_plant("default")
KEYS = {"fleet", "agv", "state", "node", "next", "x", "y", "eta_t", "battery", "order"}


def _orders(n: int) -> list[Order]:
    variants = [v.id for v in PLANT.products.variants]
    colours = [c.id for c in PLANT.products.colours]
    return [Order(f"O{i}", variants[i % 4], colours[i // 7 % 6]) for i in range(n)]


def _run(hours: float, n: int = 60) -> tuple[TwinDriver, list[PlantEvent], list[Any]]:
    d = TwinDriver(PLANT, speed=0, vda5050=True)
    events: list[PlantEvent] = []
    d.subscribe(events.append)
    for i, o in enumerate(_orders(n)):
        d.release(f"VIN{i:05d}", o)
    d.begin()
    assert d.fleets is not None and d.fleets.transport is not None
    sent: list[Any] = []
    d.fleets.transport.subscribe("order", lambda m, s, t, msg: sent.append(msg))
    t = 0.0
    while t < hours * 3600:
        t += 60.0
        d.advance(t)
    return d, events, sent


def test_the_twins_agvs_carry_bodies_through_vda_orders_deterministically() -> None:
    d, events, sent = _run(6.0)
    assert d.fleets is not None
    agv = [e for e in events if e.kind == "agv"]
    moved = [e for e in events if e.kind == "transport"]
    assert len(moved) >= 20, "the fleet carried bodies"
    assert all(e.vin is not None and e.vin.startswith("VIN") for e in moved)
    assert {e.data["state"] for e in agv} >= {"driving", "loading", "unloading", "idle"}
    assert all(set(e.data) == KEYS for e in agv)
    carried = [e for e in agv if e.data["state"] == "driving" and e.vin is not None]
    assert carried, "a loaded AGV's events name the body it carries"
    assert len({e.data["agv"] for e in agv}) >= 2
    assert any(o["orderUpdateId"] == 1 for o in sent)
    for o in sent[:50]:
        validate("order", o)
    assert any("horizon released" in line for line in d.fleets.managers[0].log)
    # the snapshot of the driver and the fleet endpoint's picture agree on the fleet
    snap = d.fleets.snapshot()
    assert snap[0]["id"] == "agv" and len(snap[0]["agvs"]) == PLANT.fleets[0].size
    assert [(a[0], f"agv-{a[1] + 1:02d}", a[2]) for a in d.snapshot().agv_positions] == \
        [(a["fleet"], a["agv"], a["node"]) for a in snap[0]["agvs"]]
    # same plant, same seed: the same AGV story
    _, again, _ = _run(6.0)
    assert [(e.time, e.vin, e.data) for e in again if e.kind == "agv"] == \
        [(e.time, e.vin, e.data) for e in agv]


def test_the_vda_vehicles_keep_the_reservations_in_the_twin() -> None:
    """Twelve hours of the reference plant with the fleet manager driving the twin's AGVs
    over VDA 5050: what the vehicles really drove (every edge with its times, every node
    between arrival and departure) never puts two of them on one node or edge at once -
    the routes are released at the planned departures (docs/fleet.md)."""
    d = TwinDriver(PLANT, speed=0, vda5050=True)
    for i, o in enumerate(_orders(200)):
        d.release(f"VIN{i:05d}", o)
    d.begin()
    assert d.fleets is not None
    net = d.fleets.managers[0].net
    way = {}
    for e, (a, b) in enumerate(net.edge_ends):  # a lane each way: two one-way edges
        way[(a, b)] = (e, 1)
        if net.edge_two_way[e]:
            way.setdefault((b, a), (e, -1))
    occupancy: list[Occupancy] = []
    since = {k: (0.0, net.home) for k in range(PLANT.fleets[0].size)}

    def mover(k: int) -> Callable[[float, float, int, int], None]:
        def moved(t0: float, t1: float, a: int, b: int) -> None:
            arrived, node = since[k]
            assert node == a, "a vehicle set off from a node it was not at"
            occupancy.append(("node", a, k, arrived, t0, 0))
            e, w = way[(a, b)]
            occupancy.append(("edge", e, k, t0, t1, w))
            since[k] = (t1, b)
        return moved

    for k, v in enumerate(d.fleets.vehicles[0]):
        v.on_move = mover(k)
    assert d.fleets.transport is not None
    updates: list[int] = []
    d.fleets.transport.subscribe("order", lambda m, sn, tp, msg: updates.append(
        msg["orderUpdateId"]))
    t = 0.0
    while t < 12 * 3600:
        t += 60.0
        d.advance(t)
    occupancy += [("node", node, k, at, t, 0) for k, (at, node) in since.items()]
    edges = sum(1 for o in occupancy if o[0] == "edge")
    assert edges > 2000, edges
    # the timed release was at work: besides the update after each pick (1), updates at
    # planned departures (an order's update id beyond 1, or 1 before its pick)
    assert max(updates) >= 2, max(updates)
    conflicts = check_occupancy(occupancy, [net.home], gap=0.0)
    assert not conflicts, conflicts[:3]
    # and the check would see one: move one vehicle's drive onto another's
    other = next(o for o in occupancy if o[0] == "edge" and o[2] == 1)
    clash = ("edge", other[1], 0, other[3], other[4], -other[5])
    assert check_occupancy([*occupancy, clash], [net.home])


def _eventually(probe: Callable[[], Any], timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        got = probe()
        if got or time.monotonic() > deadline:
            assert got, "timed out"
            return got
        time.sleep(0.2)


def test_serve_with_mqtt_runs_the_fleet_through_the_broker(tmp_path: Any,
                                                           broker: str) -> None:  # noqa: F811
    db = f"sqlite:///{tmp_path / 'fleet.db'}"
    settings = settings_for(db, mqtt=broker, twin={"speed": 600})
    with serving(create_app(settings)) as url:
        body = {"orders": [{"order_id": f"F-{k}", "variant": "m5_bev", "colour": "white",
                            "options": []} for k in range(6)]}
        r = httpx.post(url + "/api/v1/orders/batch", json=body, headers=auth(OPERATOR),
                       timeout=30)
        assert r.status_code == 201, r.text

        def fleet() -> Any:
            got = httpx.get(url + "/api/v1/fleet", headers=auth(VIEWER), timeout=30).json()
            agvs = got["fleets"][0]["agvs"]
            return got if any(a["state"] != "idle" for a in agvs) else None

        got = _eventually(fleet)
        f = got["fleets"][0]
        assert f["id"] == "agv" and {n["id"] for n in f["network"]["nodes"]} >= {"home"}
        assert all(set(a) == KEYS | {"t"} for a in f["agvs"])
        assert "from" in f["network"]["edges"][0]

        def agv_rows() -> Any:
            rows = httpx.get(url + "/api/v1/events", params={"kinds": "agv", "after": 0},
                             headers=auth(VIEWER), timeout=30).json()
            return rows if any(r["data"]["state"] == "loading" for r in rows) else None

        rows = _eventually(agv_rows)
        assert all(r["kind"] == "agv" and r["station"] is None for r in rows)
        assert httpx.get(url + "/api/v1/fleet", timeout=30).status_code == 401
