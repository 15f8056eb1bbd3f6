"""The fleet manager: transport tasks -> VDA 5050 orders, and what the vehicles report.

* **Dispatch** (:func:`taktline.plan.dispatch.choose_agv`): a waiting task goes to the
  vehicle that reaches its pickup first (nearest idle, look-ahead over busy ones whose
  route ends within ``horizon`` seconds). Vehicles that are offline, in error, paused,
  charging or below the battery threshold take no task.
* **Routing** (:class:`taktline.plan.dispatch.Planner`): the whole chain - vehicle's
  node, pickup, drop, home - is planned with space-time reservations and sent as one
  order. The **base** (released nodes and edges) ends at the pickup; the rest is the
  **horizon**. When the vehicle reports the ``pick`` action FINISHED the manager sends
  an order update (same ``orderId``, ``orderUpdateId`` + 1) that releases the rest.
* **Traffic by release** (with a ``schedule``, as in the twin): the vehicle is only ever
  released as far as the plan lets it drive without stopping. Where the plan has it
  wait at a node (another AGV holds the next edge or node for a while), the base ends
  there, and a timer at the planned departure releases the next stretch with an order
  update. A vehicle that drives at the planned speed and works for the planned load and
  unload times (``load_s``, ``unload_s``) then keeps every reservation. Without a
  ``schedule`` the base is released to the pickup at once.
* **States**: every ``state`` updates the vehicle (last node, position, battery,
  driving, paused, action states, errors). ``drop`` FINISHED completes the task; an
  order whose node states are empty is done and the vehicle is free.
* **Re-planning**: an error of level FATAL, an ``orderError``/``noRouteError``, a FAILED
  pick, or a ``connection`` of OFFLINE/CONNECTIONBROKEN releases the vehicle's
  reservations (its node stays held while it stands there) and puts its task back in
  the queue if the load was not picked yet (a picked load stays with the vehicle; the
  task is marked ``failed``). A task is given up after ``max_attempts``.
* **Batteries** (:class:`taktline.plan.dispatch.BatteryPolicy`): a free vehicle at or
  below ``low`` percent gets an order to the nearest free charger with a
  ``startCharging`` action; it takes tasks again when it reports ``resume`` percent.

Every change of a vehicle's node or state is reported to ``on_event`` as the
contract's ``agv`` event data (see docs/fleet.md).
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from taktline.errors import FleetError, NoRouteError, VdaMessageError
from taktline.ops.fleet.messages import Headers, action, edge, node
from taktline.ops.fleet.transport import Transport
from taktline.plan.dispatch import (
    AgvStatus,
    BatteryPolicy,
    PathNetwork,
    Planner,
    Route,
    choose_agv,
    choose_charger,
)

__all__ = ["FleetManager", "Task", "VehicleView"]

log = logging.getLogger("taktline.ops.fleet")

_EPS = 1e-6

TaskStatus = Literal["waiting", "assigned", "picked", "done", "failed"]
AgvState = Literal["idle", "driving", "loading", "unloading", "charging", "paused", "error",
                   "offline"]


@dataclass
class Task:
    """One transport: pick a load at node ``pick``, drop it at node ``drop``."""

    id: str
    pick: str
    drop: str
    created: float
    vin: str | None = None
    payload: Any = None
    params: dict[str, str] = field(default_factory=dict)
    status: TaskStatus = "waiting"
    agv: str | None = None
    attempts: int = 0
    reason: str = ""


@dataclass
class VehicleView:
    """What the manager knows of one vehicle (from its ``state`` and ``connection``)."""

    serial: str
    index: int
    node: str
    online: bool = True
    seen: bool = False
    x: float = 0.0
    y: float = 0.0
    battery: float | None = None
    charging: bool = False
    driving: bool = False
    paused: bool = False
    fatal: str | None = None
    order_id: str | None = None
    update_id: int = 0
    route: Route | None = None
    task: Task | None = None
    to_charge: bool = False
    settling: bool = False  # cancelled: takes nothing until it reports standing still
    actions: dict[str, str] = field(default_factory=dict)
    base: int = 0  # the last released visit of ``route``
    end_actions: tuple[dict[str, Any], ...] = ()
    next: str | None = None
    state: AgvState = "idle"
    last_event: tuple[str, str, str | None] = ("", "", None)
    factsheet: dict[str, Any] | None = None

    @property
    def busy(self) -> bool:
        return self.order_id is not None


class FleetManager:
    """Dispatches tasks to VDA 5050 vehicles of one fleet (see the module docstring)."""

    def __init__(
        self,
        fleet_id: str,
        network: PathNetwork,
        transport: Transport,
        serials: Sequence[str],
        *,
        manufacturer: str = "taktline",
        speed: float = 1.0,
        now: Callable[[], float],
        battery: BatteryPolicy | None = None,
        horizon: float = 60.0,
        map_id: str = "plant",
        load_type: str = "EPAL",
        max_attempts: int = 3,
        on_event: Callable[[float, str | None, dict[str, Any]], None] | None = None,
        on_task: Callable[[Task], None] | None = None,
        load_s: float = 0.0,
        unload_s: float = 0.0,
        schedule: Callable[[float, Callable[[], None]], None] | None = None,
    ) -> None:
        self.fleet_id = fleet_id
        self.net = network
        self.transport = transport
        self.manufacturer = manufacturer
        self.speed = speed
        self.now = now
        self.battery = battery or BatteryPolicy()
        self.horizon = horizon
        self.map_id = map_id
        self.load_type = load_type
        self.max_attempts = max_attempts
        self.on_event = on_event
        self.on_task = on_task
        self.load_s, self.unload_s, self.schedule = load_s, unload_s, schedule
        self.planner = Planner(network, len(serials), speed)
        home = network.ids[network.home]
        self.vehicles = {s: VehicleView(s, i, home) for i, s in enumerate(serials)}
        self.tasks: dict[str, Task] = {}
        self.queue: list[Task] = []
        self.log: deque[str] = deque(maxlen=1000)  # the latest decisions, for people
        self._headers = Headers(manufacturer, serials[0] if serials else "none")
        self._orders = 0

    def start(self) -> None:
        """Subscribe to the vehicles' ``state`` and ``connection`` topics."""
        self.transport.subscribe("state", self._on_state, self.manufacturer)
        self.transport.subscribe("connection", self._on_connection, self.manufacturer)
        self.transport.subscribe("factsheet", self._on_factsheet, self.manufacturer)

    def _note(self, text: str) -> None:
        log.info("fleet %s: %s", self.fleet_id, text)
        self.log.append(text)

    # -- tasks -------------------------------------------------------------------------
    def submit(self, pick: str, drop: str, *, task_id: str | None = None,
               vin: str | None = None, payload: Any = None, **params: str) -> Task:
        """Queue a transport task and dispatch what can be dispatched."""
        for n in (pick, drop):
            if n not in self.net.index:
                raise FleetError(f"fleet {self.fleet_id}: no node {n!r}")
        tid = task_id or f"{self.fleet_id}-t{len(self.tasks) + 1}"
        task = Task(tid, pick, drop, self.now(), vin, payload, dict(params))
        self.tasks[tid] = task
        self.queue.append(task)
        self.dispatch()
        return task

    def dispatch(self) -> None:
        """Give waiting tasks to vehicles, and send free low-battery vehicles to charge."""
        now = self.now()
        for v in self.vehicles.values():
            if self._available(v) and self.battery.needs_charge(v.battery or 100.0):
                self._send_to_charge(v)
        while self.queue:
            statuses = [self._status(v, now) for v in self.vehicles.values()]
            pick = self.net.index[self.queue[0].pick]
            best = choose_agv(statuses, pick, now, self.net.dist, self.speed, 0.0)
            if best is None:
                return
            v = list(self.vehicles.values())[best]
            task = self.queue.pop(0)
            if not self._assign(v, task, now):
                return

    def _available(self, v: VehicleView) -> bool:
        return (v.online and v.seen and v.fatal is None and not v.paused and not v.busy
                and not v.charging and not v.settling)

    def _status(self, v: VehicleView, now: float) -> AgvStatus:
        ok = self._available(v)
        return AgvStatus(free_at=now, node=self.net.index[v.node], idle=ok,
                         must_charge=not ok or self.battery.needs_charge(v.battery or 100.0))

    def _assign(self, v: VehicleView, task: Task, now: float) -> bool:
        start = self.net.index[v.node]
        stops = [(self.net.index[task.pick], self.load_s),
                 (self.net.index[task.drop], self.unload_s)]
        try:
            route = self.planner.plan(v.index, start, now, stops)
        except NoRouteError as exc:
            self._note(f"task {task.id}: {exc}; it waits")
            self.queue.insert(0, task)
            return False
        task.status, task.agv, task.attempts = "assigned", v.serial, task.attempts + 1
        v.task = task
        self._send_order(v, route, task)
        self._note(f"task {task.id} ({task.pick} -> {task.drop}) to {v.serial}, "
                   f"order {v.order_id}")
        return True

    # -- orders ------------------------------------------------------------------------
    def _send_order(self, v: VehicleView, route: Route, task: Task | None,
                    end_actions: Sequence[dict[str, Any]] = ()) -> None:
        self._orders += 1
        v.order_id = f"{self.fleet_id}-o{self._orders}"
        v.update_id = 0
        v.route = route
        v.actions = {}
        v.end_actions = tuple(end_actions)
        v.base = self._gate(v, 0)
        v.actions.update(self._publish_nodes(v, 0, "order"))
        self._arm(v)

    def _publish_nodes(self, v: VehicleView, start: int, what: str) -> dict[str, str]:
        """Send the route from visit ``start`` on (an order, or an update stitched at
        ``start``); visits up to ``v.base`` are released. Returns the actions sent."""
        assert v.route is not None
        route, task = v.route, v.task
        ids, xy = self.net.ids, self.net.xy
        nodes, edges, acts = [], [], {}
        for k in range(start, len(route.visits)):
            visit = route.visits[k]
            node_actions: list[dict[str, Any]] = []
            if k > start or what == "order":
                if task is not None and 0 in visit.stops and task.status == "assigned":
                    node_actions.append(self._load_action("pick", task, v))
                if task is not None and 1 in visit.stops:
                    node_actions.append(self._load_action("drop", task, v))
                if k == len(route.visits) - 1:
                    node_actions.extend(v.end_actions)
            acts.update({a["actionId"]: a["actionType"] for a in node_actions})
            nodes.append(node(ids[visit.node], 2 * k, k <= v.base, float(xy[visit.node, 0]),
                              float(xy[visit.node, 1]), self.map_id, node_actions))
            if k + 1 < len(route.visits):
                nxt = route.visits[k + 1].node
                edges.append(edge(f"{ids[visit.node]}-{ids[nxt]}", 2 * k + 1, k < v.base,
                                  ids[visit.node], ids[nxt], self.speed))
        self._publish(v, "order", orderId=v.order_id, orderUpdateId=v.update_id,
                      nodes=nodes, edges=edges)
        return acts

    def _gate(self, v: VehicleView, start: int) -> int:
        """The furthest visit (up to :meth:`_limit`) the vehicle may be released to now: it
        stops short at the first visit where the plan has it wait beyond its work."""
        assert v.route is not None
        if self.schedule is None:
            return self._limit(v)
        now = self.now()
        limit = self._limit(v)
        for m in range(start, limit):
            visit = v.route.visits[m]
            work = 0.0
            if v.task is not None:
                work = (self.load_s if 0 in visit.stops else 0.0) + \
                       (self.unload_s if 1 in visit.stops else 0.0)
            if visit.depart > now + _EPS and visit.depart > visit.arrive + work + _EPS:
                return m
        return limit

    @staticmethod
    def _limit(v: VehicleView) -> int:
        """How far the route may be released: to the pickup until the pick is done."""
        assert v.route is not None
        visits = v.route.visits
        if v.task is not None and v.task.status == "assigned":
            return visits.index(v.route.stop_visit(0))
        return len(visits) - 1

    def _arm(self, v: VehicleView) -> None:
        """A timer at the planned departure from the end of the base, if it is short."""
        if self.schedule is None or v.route is None or v.base >= self._limit(v):
            return
        order, base = v.order_id, v.base
        self.schedule(v.route.visits[base].depart, lambda: self._extend(v, order, base))

    def _extend(self, v: VehicleView, order: str | None, base: int) -> None:
        """The planned departure has come: release the next stretch (an order update)."""
        if v.order_id != order or v.base != base or v.route is None:
            return  # the order moved on (re-planned, cancelled, or released since)
        v.base = self._gate(v, base)
        if v.base > base:
            v.update_id += 1
            self._publish_nodes(v, base, "update")
        self._arm(v)

    def _load_action(self, kind: str, task: Task, v: VehicleView) -> dict[str, Any]:
        params = {"stationType": "floor", "loadType": self.load_type, "loadId": task.id}
        params.update(task.params)
        return action(kind, f"{v.order_id}-{kind}", "HARD", **params)

    def _release_horizon(self, v: VehicleView) -> None:
        """Order update after the pick: the rest of the route may become base."""
        assert v.route is not None
        start = next(k for k, vi in enumerate(v.route.visits) if 0 in vi.stops)
        v.base = self._gate(v, start)
        v.update_id += 1
        self._publish_nodes(v, start, "update")
        self._note(f"order {v.order_id} update {v.update_id}: horizon released")
        self._arm(v)

    def _send_to_charge(self, v: VehicleView) -> None:
        busy = [self.net.index[o.node] for o in self.vehicles.values()
                if o is not v and (o.charging or o.to_charge)]
        here = self.net.index[v.node]
        charger = choose_charger(self.net, here, busy)
        if charger is None:
            return
        try:
            route = self.planner.plan(v.index, here, self.now(), [], end=charger)
        except NoRouteError as exc:
            self._note(f"{v.serial}: no route to a charger ({exc})")
            return
        v.to_charge = True
        self._send_order(v, route, None, [action("startCharging", f"{self.fleet_id}-c"
                                                 f"{self._orders + 1}", "HARD")])
        self._note(f"{v.serial} at {v.battery:.0f}% goes to charger {self.net.ids[charger]}")

    def _publish(self, v: VehicleView, topic: str, **fields: Any) -> None:
        msg = self._headers(topic, v.serial, **fields)
        try:
            self.transport.publish(self.manufacturer, v.serial, topic, msg)
        except VdaMessageError as exc:  # our own bug: say so, do not send it
            self._note(f"{v.serial}: not sent: {exc}")
            raise

    # -- instant actions ---------------------------------------------------------------
    def instant(self, serial: str, action_type: str) -> None:
        """Send one instant action (cancelOrder, startPause, stopPause, ...)."""
        v = self._vehicle(serial)
        self._orders += 1
        self._publish(v, "instantActions",
                      actions=[action(action_type, f"{self.fleet_id}-i{self._orders}", "HARD")])
        self._note(f"{serial}: {action_type}")

    def cancel(self, serial: str) -> None:
        """Cancel the vehicle's order; an unpicked task goes back to the queue."""
        v = self._vehicle(serial)
        v.settling = True
        self.instant(serial, "cancelOrder")
        self._replan(v, "order cancelled")

    def _vehicle(self, serial: str) -> VehicleView:
        v = self.vehicles.get(serial)
        if v is None:
            raise FleetError(f"fleet {self.fleet_id}: no vehicle {serial!r}")
        return v

    # -- what the vehicles report ------------------------------------------------------
    def _on_connection(self, manufacturer: str, serial: str, topic: str,
                       msg: dict[str, Any]) -> None:
        v = self.vehicles.get(serial)
        if v is None:
            return
        online = msg["connectionState"] == "ONLINE"
        if online == v.online:
            return
        v.online = online
        if not online:
            self._note(f"{serial} is {msg['connectionState']}")
            self._replan(v, f"vehicle {msg['connectionState'].lower()}", hold=True)
        self._report(v)
        self.dispatch()

    def _on_factsheet(self, manufacturer: str, serial: str, topic: str,
                      msg: dict[str, Any]) -> None:
        v = self.vehicles.get(serial)
        if v is not None:
            v.factsheet = msg

    def _on_state(self, manufacturer: str, serial: str, topic: str,
                  msg: dict[str, Any]) -> None:
        v = self.vehicles.get(serial)
        if v is None:
            return
        v.seen = True
        v.node = msg["lastNodeId"] if msg["lastNodeId"] in self.net.index else v.node
        pos = msg.get("agvPosition")
        if pos is not None:
            v.x, v.y = float(pos["x"]), float(pos["y"])
        else:
            v.x, v.y = (float(c) for c in self.net.xy[self.net.index[v.node]])
        v.battery = float(msg["batteryState"]["batteryCharge"])
        v.charging = bool(msg["batteryState"]["charging"])
        v.driving, v.paused = bool(msg["driving"]), bool(msg.get("paused", False))
        pending = [n for n in msg["nodeStates"] if n["sequenceId"] > msg["lastNodeSequenceId"]]
        v.next = min(pending, key=lambda n: n["sequenceId"])["nodeId"] if pending else None
        states = {a["actionId"]: a["actionStatus"] for a in msg["actionStates"]}
        if v.settling and not msg["nodeStates"] and not v.driving:
            v.settling = False
        self._errors(v, msg)
        if v.busy and msg["orderId"] == v.order_id:
            self._progress(v, msg, states)
        self._report(v, states)
        self.dispatch()

    def _errors(self, v: VehicleView, msg: dict[str, Any]) -> None:
        """FATAL errors take the vehicle out of service; an order error that names the
        vehicle's current order is that order's rejection: its task goes back."""
        refs = {r["referenceValue"] for e in msg["errors"]
                for r in e.get("errorReferences", []) if r["referenceKey"] == "orderId"}
        if v.order_id is not None and v.order_id in refs:
            text = "; ".join(f"{e['errorType']}: {e.get('errorDescription', '')}"
                             for e in msg["errors"] if e["errorLevel"] != "FATAL")
            self._note(f"{v.serial} rejected order {v.order_id}: {text}")
            self._replan(v, f"order rejected ({text})")
        fatal = [e for e in msg["errors"] if e["errorLevel"] == "FATAL"]
        if not fatal:
            if v.fatal is not None:
                self._note(f"{v.serial}: errors cleared")
            v.fatal = None
            return
        text = "; ".join(f"{e['errorType']}: {e.get('errorDescription', '')}" for e in fatal)
        if v.fatal == text:
            return
        v.fatal = text
        self._note(f"{v.serial} reports {text}")
        self._replan(v, text, hold=True)

    def _progress(self, v: VehicleView, msg: dict[str, Any], states: dict[str, str]) -> None:
        task = v.task
        for aid, kind in v.actions.items():
            status = states.get(aid)
            if task is not None and kind == "pick" and status == "FINISHED" \
                    and task.status == "assigned":
                task.status = "picked"
                self._note(f"task {task.id}: picked by {v.serial}")
                self._release_horizon(v)
            elif task is not None and kind == "pick" and status == "FAILED":
                self._replan(v, "pick failed")
                return
            elif task is not None and kind == "drop" and status == "FINISHED" \
                    and task.status == "picked":
                self._finish(task, "done", f"dropped by {v.serial}")
                v.task = None
        if not msg["nodeStates"] and not msg["driving"] and all(
                states.get(a) in ("FINISHED", "FAILED") for a in v.actions):
            self._note(f"{v.serial}: order {v.order_id} complete at {v.node}")
            v.order_id, v.route, v.actions = None, None, {}
            if v.to_charge and not v.charging:
                v.to_charge = False
            if v.task is not None:  # the order ended before its drop
                self._replan(v, "order ended early")

    def _finish(self, task: Task, status: TaskStatus, reason: str) -> None:
        task.status, task.reason = status, reason
        self._note(f"task {task.id}: {status} ({reason})")
        if self.on_task is not None:
            self.on_task(task)

    def _replan(self, v: VehicleView, reason: str, hold: bool = False) -> None:
        """Drop the vehicle's order and reservations; give its task to someone else."""
        now = self.now()
        self.planner.release(v.index, now, self.net.index[v.node] if hold else None)
        task, v.task = v.task, None
        v.order_id, v.route, v.actions, v.to_charge = None, None, {}, False
        if task is None:
            return
        if task.status == "picked":
            self._finish(task, "failed", f"{reason}; the load is on {v.serial}")
        elif task.attempts >= self.max_attempts:
            self._finish(task, "failed", f"{reason}; gave up after {task.attempts} attempts")
        else:
            task.status, task.agv, task.reason = "waiting", None, reason
            self.queue.insert(0, task)
            self._note(f"task {task.id} back in the queue ({reason})")

    # -- reporting ---------------------------------------------------------------------
    def _state_name(self, v: VehicleView, states: dict[str, str]) -> AgvState:
        if not v.online:
            return "offline"
        if v.fatal is not None:
            return "error"
        if v.paused:
            return "paused"
        if v.charging:
            return "charging"
        for aid, kind in v.actions.items():
            if states.get(aid) in ("RUNNING", "INITIALIZING") and kind in ("pick", "drop"):
                return "loading" if kind == "pick" else "unloading"
        return "driving" if v.driving or v.next is not None else "idle"

    def agv_data(self, v: VehicleView) -> dict[str, Any]:
        """The contract's ``agv`` event data of one vehicle, as known now."""
        eta = None
        if v.next is not None:
            a, b = self.net.index[v.node], self.net.index[v.next]
            eta = self.now() + float(self.net.dist[a, b]) / self.speed
        return {"fleet": self.fleet_id, "agv": v.serial, "state": v.state, "node": v.node,
                "next": v.next, "x": v.x, "y": v.y, "eta_t": eta, "battery": v.battery,
                "order": v.order_id}

    def _report(self, v: VehicleView, states: dict[str, str] | None = None) -> None:
        if states is not None or not v.online:
            v.state = self._state_name(v, states or {})
        key = (v.state, v.node, v.next)
        if key == v.last_event:
            return
        v.last_event = key
        if self.on_event is not None:
            vin = v.task.vin if v.task is not None and v.task.status == "picked" else None
            self.on_event(self.now(), vin, self.agv_data(v))

    def snapshot(self) -> list[dict[str, Any]]:
        """Every vehicle's ``agv`` data plus ``t``."""
        return [{**self.agv_data(v), "t": self.now()} for v in self.vehicles.values()]
