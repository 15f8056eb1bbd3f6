"""A simulated VDA 5050 2.0 vehicle that drives node by node on a twin's clock.

It accepts orders (new ones when its previous order is done and the first node is where
it stands; updates with a higher ``orderUpdateId`` stitched on the last base node),
runs node actions in order (``pick``, ``drop``, ``startCharging``; each blocks), drives
released edges at its speed, stops at the end of the base, and reports ``state`` on
every change, ``visualization`` at every node and ``connection`` ONLINE on start.

Instant actions: ``cancelOrder`` (the remaining nodes, edges and waiting actions are
dropped; an edge being driven is finished first), ``startPause``/``stopPause`` (takes
effect at the next node or action boundary), ``stateRequest``, ``factsheetRequest``.
An order it cannot take is rejected with an ``orderError`` in ``state.errors``.
:meth:`fail` / :meth:`clear` and :meth:`drop_connection` / :meth:`reconnect` let tests
and operators play a vehicle error and a lost connection.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from taktline.ops.fleet.messages import Headers, params_of
from taktline.ops.fleet.transport import Transport
from taktline.plan.dispatch import BatteryPolicy, PathNetwork

__all__ = ["Clock", "LoadHooks", "SimVehicle"]


class Clock(Protocol):
    """The twin's kernel: ``now`` and ``at(time, fn, arg)``."""

    now: float

    def at(self, time: float, fn: Callable[[Any], None], arg: Any = ...,
           prio: int = ...) -> None: ...


@dataclass
class LoadHooks:
    """What ``pick``/``drop`` do to the plant: ``pick(loadId) -> load``, ``drop(loadId,
    load)``; ``load_s``/``unload_s`` give their durations."""

    pick: Callable[[str], Any]
    drop: Callable[[str, Any], None]
    load_s: Callable[[], float]
    unload_s: Callable[[], float]


class SimVehicle:
    """One simulated AGV speaking VDA 5050 (see the module docstring)."""

    def __init__(self, clock: Clock, transport: Transport, manufacturer: str, serial: str,
                 network: PathNetwork, speed: float, node: int, *,
                 hooks: LoadHooks | None = None, battery: BatteryPolicy | None = None,
                 level: float = 100.0, map_id: str = "plant") -> None:
        self.clock, self.transport, self.net = clock, transport, network
        self.manufacturer, self.serial, self.speed, self.map_id = (manufacturer, serial,
                                                                   speed, map_id)
        self.hooks = hooks
        self.policy = battery or BatteryPolicy()
        self.level = level
        self.node = node
        self.last_seq = 0
        self.order_id, self.update_id = "", 0
        self.nodes: list[dict[str, Any]] = []  # not yet reached
        self.edges: list[dict[str, Any]] = []  # not yet driven
        self.actions: dict[str, dict[str, Any]] = {}  # id -> {type, status, seq, params}
        self.errors: list[dict[str, Any]] = []
        self.driving = self.paused = self.charging = self.busy = False
        self.online = True
        self.load: Any = None
        self.metres = 0.0
        self.on_node: Callable[[int], None] | None = None  # told every node reached
        # told every edge it sets off on: (departure, arrival, from node, to node)
        self.on_move: Callable[[float, float, int, int], None] | None = None
        self._h = Headers(manufacturer, serial)

    def start(self) -> None:
        """Subscribe to its ``order`` and ``instantActions`` and report ONLINE."""
        self.transport.subscribe("order", self._on_order, self.manufacturer, self.serial)
        self.transport.subscribe("instantActions", self._on_instant, self.manufacturer,
                                 self.serial)
        self.reconnect()

    # -- reporting ---------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        x, y = (float(c) for c in self.net.xy[self.node])
        return self._h(
            "state", orderId=self.order_id, orderUpdateId=self.update_id,
            lastNodeId=self.net.ids[self.node], lastNodeSequenceId=self.last_seq,
            nodeStates=[{"nodeId": n["nodeId"], "sequenceId": n["sequenceId"],
                         "released": n["released"]} for n in self.nodes],
            edgeStates=[{"edgeId": e["edgeId"], "sequenceId": e["sequenceId"],
                         "released": e["released"]} for e in self.edges],
            driving=self.driving, paused=self.paused, newBaseRequest=False,
            agvPosition={"x": x, "y": y, "theta": 0.0, "mapId": self.map_id,
                         "positionInitialized": True},
            loads=[] if self.load is None else [{"loadType": "EPAL"}],
            actionStates=[{"actionId": k, "actionType": a["type"], "actionStatus": a["status"]}
                          for k, a in self.actions.items()],
            batteryState={"batteryCharge": round(self.level, 3), "charging": self.charging},
            operatingMode="AUTOMATIC", errors=list(self.errors),
            safetyState={"eStop": "NONE", "fieldViolation": False})

    def _publish_state(self) -> None:
        if self.online:
            self.transport.publish(self.manufacturer, self.serial, "state", self.state())

    def factsheet(self) -> dict[str, Any]:
        return self._h(
            "factsheet",
            typeSpecification={"seriesName": "taktline twin AGV", "agvKinematic": "DIFF",
                               "agvClass": "CARRIER", "maxLoadMass": 2000.0,
                               "localizationTypes": ["NATURAL"],
                               "navigationTypes": ["PHYSICAL_LINE_GUIDED"]},
            physicalParameters={"speedMin": 0.0, "speedMax": self.speed},
            protocolLimits={}, protocolFeatures={
                "optionalParameters": [],
                "agvActions": [{"actionType": t, "actionScopes": s} for t, s in (
                    ("pick", ["NODE"]), ("drop", ["NODE"]), ("startCharging", ["NODE"]),
                    ("cancelOrder", ["INSTANT"]), ("startPause", ["INSTANT"]),
                    ("stopPause", ["INSTANT"]), ("stateRequest", ["INSTANT"]),
                    ("factsheetRequest", ["INSTANT"]))]},
            agvGeometry={}, loadSpecification={})

    # -- errors and connection (operators, tests) ---------------------------------------
    def fail(self, description: str) -> None:
        """The vehicle stops with a FATAL error until :meth:`clear`."""
        self.errors.append({"errorType": "vehicleError", "errorLevel": "FATAL",
                            "errorDescription": description})
        self._publish_state()

    def clear(self) -> None:
        self.errors = []
        self._publish_state()
        self._step()

    def drop_connection(self) -> None:
        """The link is lost: the broker publishes the Will (CONNECTIONBROKEN)."""
        self.transport.publish(self.manufacturer, self.serial, "connection",
                               self._h("connection", connectionState="CONNECTIONBROKEN"))
        self.online = False

    def reconnect(self) -> None:
        self.online = True
        self.transport.publish(self.manufacturer, self.serial, "connection",
                               self._h("connection", connectionState="ONLINE"))
        self._publish_state()

    def _reject(self, kind: str, text: str, order_id: str) -> None:
        self.errors.append({"errorType": kind, "errorLevel": "WARNING",
                            "errorDescription": text,
                            "errorReferences": [{"referenceKey": "orderId",
                                                 "referenceValue": order_id}]})
        self._publish_state()

    # -- orders ------------------------------------------------------------------------
    def _on_order(self, manufacturer: str, serial: str, topic: str,
                  msg: dict[str, Any]) -> None:
        oid, uid = msg["orderId"], msg["orderUpdateId"]
        nodes = sorted(msg["nodes"], key=lambda n: n["sequenceId"])
        edges = sorted(msg["edges"], key=lambda e: e["sequenceId"])
        if len(edges) != len(nodes) - 1:
            return self._reject("orderError", "an order has one edge fewer than nodes", oid)
        if any(n["nodeId"] not in self.net.index for n in nodes):
            return self._reject("orderError", "a node is not on this vehicle's map", oid)
        if oid == self.order_id:
            if uid <= self.update_id:
                return None if uid == self.update_id else self._reject(
                    "orderUpdateError", f"update {uid} is older than {self.update_id}", oid)
            base = [self.last_seq] + [n["sequenceId"] for n in self.nodes if n["released"]]
            if nodes[0]["sequenceId"] != base[-1]:
                return self._reject("orderUpdateError",
                                    "the update does not start at the last base node", oid)
            self.nodes = [n for n in self.nodes if n["sequenceId"] < nodes[0]["sequenceId"]]
            self.edges = [e for e in self.edges if e["sequenceId"] < nodes[0]["sequenceId"]]
            if nodes[0]["sequenceId"] == self.last_seq:
                nodes = nodes[1:]
            self.update_id = uid
        else:
            if self.nodes or self.edges or self.busy:
                return self._reject("orderError", "the current order is not finished", oid)
            if nodes[0]["nodeId"] != self.net.ids[self.node] or not nodes[0]["released"]:
                return self._reject("orderError", "the first node is not where the vehicle "
                                    "stands or is not released", oid)
            self.order_id, self.update_id = oid, uid
            self.actions = {}
            self.last_seq = nodes[0]["sequenceId"]
            self._add_actions(nodes[0])
            nodes = nodes[1:]
        self.errors = [e for e in self.errors if e["errorLevel"] == "FATAL"]
        for n in nodes:
            self._add_actions(n)
        self.nodes += nodes
        self.edges += edges
        self._publish_state()
        self._step()
        return None

    def _add_actions(self, n: dict[str, Any]) -> None:
        for a in n["actions"]:
            self.actions[a["actionId"]] = {"type": a["actionType"], "status": "WAITING",
                                           "seq": n["sequenceId"], "params": params_of(a)}

    def _on_instant(self, manufacturer: str, serial: str, topic: str,
                    msg: dict[str, Any]) -> None:
        for a in msg["actions"]:
            kind, aid = a["actionType"], a["actionId"]
            if kind == "cancelOrder":
                for st in self.actions.values():
                    if st["status"] == "WAITING":
                        st["status"] = "FAILED"
                if self.driving and self.edges:
                    self.nodes, self.edges = self.nodes[:1], self.edges[:1]
                else:
                    self.nodes, self.edges = [], []
            elif kind in ("startPause", "stopPause"):
                self.paused = kind == "startPause"
            elif kind == "factsheetRequest":
                self.transport.publish(self.manufacturer, self.serial, "factsheet",
                                       self.factsheet())
            elif kind != "stateRequest":
                self.actions[aid] = {"type": kind, "status": "FAILED", "seq": -1, "params": {}}
                continue
            self.actions[aid] = {"type": kind, "status": "FINISHED", "seq": -1, "params": {}}
        self._publish_state()
        self._step()

    # -- moving ------------------------------------------------------------------------
    def _step(self) -> None:
        if self.busy or self.paused or any(e["errorLevel"] == "FATAL" for e in self.errors):
            return
        for aid, a in self.actions.items():
            if a["seq"] == self.last_seq and a["status"] == "WAITING":
                self._run_action(aid, a)
                return
        if self.edges and self.edges[0]["released"] \
                and self.edges[0]["sequenceId"] == self.last_seq + 1:
            e = self.edges[0]
            i, b = self.net.index[e["startNodeId"]], self.net.index[e["endNodeId"]]
            length = float(self.net.dist[i, b])
            self.busy = self.driving = True
            self._publish_state()
            arrive = self.clock.now + length / self.speed
            if self.on_move is not None:
                self.on_move(self.clock.now, arrive, i, b)
            self.clock.at(arrive, self._arrive, (b, length))
        elif self.driving:
            self.driving = False
            self._publish_state()

    def _arrive(self, arg: tuple[int, float]) -> None:
        b, length = arg
        self.busy = False
        self.level = self.policy.after(self.level, length, length / self.speed)
        self.metres += length
        self.node = b
        if self.on_node is not None:
            self.on_node(b)
        if self.edges:
            self.edges.pop(0)
        if self.nodes:
            self.last_seq = self.nodes.pop(0)["sequenceId"]
        self.driving = bool(self.edges and self.edges[0]["released"]) and not self.paused
        x, y = (float(c) for c in self.net.xy[b])
        if self.online:
            self.transport.publish(self.manufacturer, self.serial, "visualization", self._h(
                "visualization", agvPosition={"x": x, "y": y, "theta": 0.0,
                                              "mapId": self.map_id,
                                              "positionInitialized": True}))
        self._publish_state()
        self._step()

    def _run_action(self, aid: str, a: dict[str, Any]) -> None:
        kind, load_id = a["type"], str(a["params"].get("loadId", ""))
        if kind == "startCharging":
            if not self.net.charger[self.node]:
                a["status"] = "FAILED"
                self._publish_state()
                return self._step()
            self.charging = True
            duration = self.policy.charge_time(self.level)
        elif kind in ("pick", "drop") and self.hooks is not None:
            duration = self.hooks.load_s() if kind == "pick" else self.hooks.unload_s()
        elif kind in ("pick", "drop"):
            duration = 1.0
        else:
            a["status"] = "FAILED"
            self._publish_state()
            return self._step()
        a["status"] = "RUNNING"
        self.busy = True
        self._publish_state()
        self.clock.at(self.clock.now + duration, self._action_done, (aid, load_id))
        return None

    def _action_done(self, arg: tuple[str, str]) -> None:
        aid, load_id = arg
        a = self.actions.get(aid)
        self.busy = False
        if a is None:
            return
        if a["type"] == "startCharging":
            self.charging = False
            self.level = max(self.level, self.policy.resume)
        elif a["type"] == "pick":
            self.load = self.hooks.pick(load_id) if self.hooks is not None else load_id
        elif a["type"] == "drop":
            if self.hooks is not None:
                self.hooks.drop(load_id, self.load)
            self.load = None
        a["status"] = "FINISHED"
        self._publish_state()
        self._step()
