"""The fleet manager with simulated VDA 5050 vehicles over the in-process transport."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest

from taktline.errors import VdaMessageError
from taktline.ops.fleet.manager import FleetManager
from taktline.ops.fleet.messages import Headers, action, edge, node
from taktline.ops.fleet.schemas import validate
from taktline.ops.fleet.transport import InProcessTransport, parse_mqtt_url
from taktline.ops.fleet.vehicle import LoadHooks, SimVehicle
from taktline.plan.dispatch import BatteryPolicy, PathNetwork
from taktline.sim.kernel import Kernel

SPEED = 2.0


class Rig:
    """A line of nodes h - a - b - c - d (10 m apart), a charger at d, n vehicles at h."""

    def __init__(self, n: int = 2, level: float = 100.0,
                 policy: BatteryPolicy | None = None) -> None:
        ids = ["h", "a", "b", "c", "d"]
        self.net = PathNetwork.build([(x, 10.0 * i, 0.0, x == "d") for i, x in enumerate(ids)],
                                     [(p, q, None, True) for p, q in itertools.pairwise(ids)],
                                     home="h")
        self.kernel = Kernel()
        self.bus = InProcessTransport()
        self.seen: list[tuple[str, str, dict[str, Any]]] = []
        for topic in ("order", "instantActions", "state", "connection", "visualization"):
            self.bus.subscribe(topic, lambda m, s, t, msg: self.seen.append((s, t, msg)))
        self.loads: dict[str, str] = {}
        self.dropped: list[tuple[str, Any]] = []
        hooks = LoadHooks(pick=lambda lid: f"load-{lid}",
                          drop=lambda lid, load: self.dropped.append((lid, load)),
                          load_s=lambda: 5.0, unload_s=lambda: 5.0)
        self.policy = policy or BatteryPolicy()
        serials = [f"agv{i}" for i in range(n)]
        self.events: list[dict[str, Any]] = []
        self.mgr = FleetManager("f", self.net, self.bus, serials, speed=SPEED,
                                now=lambda: self.kernel.now, battery=self.policy,
                                on_event=lambda t, vin, d: self.events.append({**d, "t": t}))
        self.mgr.start()
        self.vehicles = {s: SimVehicle(self.kernel, self.bus, "taktline", s, self.net, SPEED,
                                       0, hooks=hooks, battery=self.policy, level=level)
                         for s in serials}
        for v in self.vehicles.values():
            v.start()

    def run(self, until: float) -> None:
        self.kernel.run(until)

    def orders(self, serial: str) -> list[dict[str, Any]]:
        return [m for s, t, m in self.seen if s == serial and t == "order"]


def test_a_task_is_driven_picked_dropped_and_the_vehicle_returns_home() -> None:
    rig = Rig()
    task = rig.mgr.submit("b", "d")
    assert task.status == "assigned" and task.agv == "agv0"
    first = rig.orders("agv0")[0]
    assert [n["nodeId"] for n in first["nodes"]] == ["h", "a", "b", "c", "d", "c", "b", "a", "h"]
    assert [n["released"] for n in first["nodes"]][:4] == [True, True, True, False]
    assert [n["sequenceId"] for n in first["nodes"]] == list(range(0, 18, 2))
    rig.run(500.0)
    assert task.status == "done"
    assert rig.dropped == [(task.id, f"load-{task.id}")]
    update = rig.orders("agv0")[1]
    assert update["orderId"] == first["orderId"] and update["orderUpdateId"] == 1
    assert update["nodes"][0]["nodeId"] == "b" and update["nodes"][0]["sequenceId"] == 4
    assert all(n["released"] for n in update["nodes"])
    v = rig.mgr.vehicles["agv0"]
    assert v.node == "h" and v.order_id is None and v.state == "idle"
    states = [e["state"] for e in rig.events if e["agv"] == "agv0"]
    assert {"driving", "loading", "unloading", "idle"} <= set(states)
    # 20 m out, 5 s load, 20 m, 5 s unload, 40 m home at 2 m/s
    assert rig.vehicles["agv0"].metres == pytest.approx(80.0)
    every = [m for _, _, m in rig.seen]
    for _s, t, m in rig.seen:
        validate(t, m)
    assert len(every) > 20


def test_two_tasks_go_to_two_vehicles_and_the_horizon_waits_for_the_pick() -> None:
    rig = Rig()
    t1, t2 = rig.mgr.submit("a", "c"), rig.mgr.submit("b", "d")
    assert {t1.agv, t2.agv} == {"agv0", "agv1"}
    rig.run(1000.0)
    assert t1.status == t2.status == "done"
    # with reservations the two never stand on the same node (home aside) at once
    pos: dict[float, set[str]] = {}
    for e in rig.events:
        if e["node"] != "h" and e["state"] in ("loading", "unloading"):
            assert e["agv"] not in pos.setdefault(e["t"], set())


def test_cancel_order_puts_the_task_back_and_another_run_serves_it() -> None:
    rig = Rig(n=1)
    task = rig.mgr.submit("c", "d")
    rig.run(3.0)
    rig.mgr.cancel("agv0")
    assert task.status == "waiting" or task.agv == "agv0"
    instants = [m for s, t, m in rig.seen if t == "instantActions"]
    assert instants[-1]["actions"][0]["actionType"] == "cancelOrder"
    rig.run(2000.0)
    assert task.status == "done" and task.attempts == 2


def test_pause_holds_the_vehicle_and_resume_lets_it_finish() -> None:
    rig = Rig(n=1)
    task = rig.mgr.submit("d", "a")
    rig.mgr.instant("agv0", "startPause")
    rig.run(200.0)
    assert task.status == "assigned" and rig.vehicles["agv0"].paused
    assert rig.mgr.vehicles["agv0"].state == "paused"
    rig.mgr.instant("agv0", "stopPause")
    rig.run(600.0)
    assert task.status == "done"
    rig.mgr.instant("agv0", "factsheetRequest")
    sheet = rig.mgr.vehicles["agv0"].factsheet
    assert sheet is not None and sheet["physicalParameters"]["speedMax"] == SPEED


def test_a_vehicle_error_releases_it_and_the_task_goes_to_another() -> None:
    rig = Rig(n=2)
    task = rig.mgr.submit("d", "a")
    rig.run(1.0)
    first = task.agv
    rig.vehicles[first].fail("drive fault")
    assert rig.mgr.vehicles[first].state == "error"
    assert task.agv != first and task.status == "assigned"
    rig.run(1000.0)
    assert task.status == "done" and task.attempts == 2
    assert any("drive fault" in line for line in rig.mgr.log)


def test_a_lost_connection_releases_the_vehicle_and_the_task_is_reassigned() -> None:
    rig = Rig(n=2)
    task = rig.mgr.submit("c", "a")
    first = task.agv
    rig.vehicles[first].drop_connection()
    assert rig.mgr.vehicles[first].state == "offline"
    assert task.agv is not None and task.agv != first
    rig.run(1000.0)
    assert task.status == "done"
    rig.vehicles[first].reconnect()
    assert rig.mgr.vehicles[first].online


def test_low_battery_sends_the_vehicle_to_the_charger() -> None:
    policy = BatteryPolicy(low=30.0, resume=90.0)
    rig = Rig(n=1, level=25.0, policy=policy)
    v = rig.mgr.vehicles["agv0"]
    assert v.to_charge
    order = rig.orders("agv0")[0]
    assert order["nodes"][-1]["nodeId"] == "d"
    assert order["nodes"][-1]["actions"][0]["actionType"] == "startCharging"
    task = rig.mgr.submit("a", "b")
    assert task.status == "waiting"
    rig.run(5000.0)
    assert max(e["battery"] for e in rig.events) >= 90.0
    assert any(e["state"] == "charging" for e in rig.events)
    assert task.status == "done"


def test_an_order_the_vehicle_rejects_is_replanned_from_where_it_really_is() -> None:
    rig = Rig(n=1)
    rig.vehicles["agv0"].node = 2  # the vehicle stands elsewhere than the manager thinks
    rig.mgr.vehicles["agv0"].node = "h"
    task = rig.mgr.submit("c", "d")
    rig.run(100.0)
    assert task.status == "done" and task.attempts == 2
    assert any("rejected order f-o1" in line for line in rig.mgr.log)
    second = rig.orders("agv0")[1]
    assert second["orderId"] == "f-o2" and second["nodes"][0]["nodeId"] == "b"


def test_bad_messages_are_rejected_with_a_clear_error_and_nothing_crashes() -> None:
    rig = Rig(n=1)
    h = Headers("taktline", "agv0")
    with pytest.raises(VdaMessageError, match=r"order: nodes.0: 'released' is a required"):
        bad = h("order", orderId="x", orderUpdateId=0, edges=[],
                nodes=[{"nodeId": "h", "sequenceId": 0, "actions": []}])
        rig.bus.publish("taktline", "agv0", "order", bad)
    with pytest.raises(VdaMessageError, match="blockingType"):
        validate("instantActions", h("instantActions", actions=[
            {"actionType": "cancelOrder", "actionId": "1", "blockingType": "MAYBE"}]))
    before = rig.bus.rejected
    rig.bus.publish_raw("uagv/v2/taktline/agv0/state", "{not json")
    rig.bus.publish_raw("uagv/v2/taktline/agv0/state", json.dumps({"headerId": 1}))
    assert rig.bus.rejected == before + 2
    good = h("order", orderId="o", orderUpdateId=0, nodes=[
        node("h", 0, True, 0.0, 0.0, "plant"), node("a", 2, True, 10.0, 0.0, "plant",
                                                    [action("pick", "p1", loadId="L")])],
        edges=[edge("h-a", 1, True, "h", "a")])
    rig.bus.publish("taktline", "agv0", "order", good)
    rig.run(100.0)
    assert rig.vehicles["agv0"].actions["p1"]["status"] == "FINISHED"


@pytest.mark.parametrize("url", ["http://x:1", "mqtt://", "mqtt://h:99999", "mqtt://h:1/p"])
def test_bad_broker_urls_are_refused(url: str) -> None:
    from taktline.errors import FleetError
    with pytest.raises(FleetError, match="mqtt://host:port"):
        parse_mqtt_url(url)
    assert parse_mqtt_url("mqtt://127.0.0.1:1884") == ("127.0.0.1", 1884)
