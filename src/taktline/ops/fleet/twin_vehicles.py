"""The twin's AGVs as VDA 5050 vehicles, dispatched by the fleet manager.

:class:`TwinFleets` takes over the single entry point of the reference engine's AGV
fleets (``AgvFleet.assign``, see ``sim/agv.py``): every transport task the twin raises
becomes a task of that fleet's :class:`~taktline.ops.fleet.manager.FleetManager`. Each
simulated AGV is a :class:`~taktline.ops.fleet.vehicle.SimVehicle` on the twin's clock
that accepts the manager's orders; its ``pick`` takes the item from the move's source
buffer and its ``drop`` puts it into the drop place the move reserved (the
``MoveLink`` take/put protocol), and the transport is recorded as the engine would.

Vehicles are ``<fleet>-01``, ``<fleet>-02`` ... of manufacturer ``taktline``. The
transport is the in-process bus unless one is given (``taktline serve --mqtt``).
The managers plan with the fleet's mean load and unload times and release each vehicle's
route on the twin's clock at the planned departures, so the simulated vehicles keep the
reservations (exactly, when those times are constant, as in the reference plant).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from taktline.ops.fleet.manager import FleetManager
from taktline.ops.fleet.transport import Transport
from taktline.ops.fleet.vehicle import LoadHooks, SimVehicle
from taktline.plan.dispatch import PathNetwork
from taktline.sim.agv import Agv, AgvFleet, MoveLink
from taktline.sim.buffer import Item
from taktline.sim.model import Model

__all__ = ["MANUFACTURER", "TwinFleets"]

MANUFACTURER = "taktline"
Emit = Callable[[float, str | None, dict[str, Any]], None]


class TwinFleets:
    """Fleet managers and VDA 5050 vehicles for every AGV fleet of a twin's model."""

    def __init__(self, model: Model, emit: Emit,
                 vin_of: Callable[[int], str | None]) -> None:
        self.model = model
        self.emit = emit
        self.vin_of = vin_of
        self.managers: list[FleetManager] = []
        self.vehicles: list[list[SimVehicle]] = []
        self.transport: Transport | None = None
        self._moves: dict[str, tuple[AgvFleet, MoveLink, float, float]] = {}
        self._n = 0
        for fleet in model.fleets:
            fleet.assign = self._assigner(fleet)  # type: ignore[method-assign,assignment]

    def _assigner(self, fleet: AgvFleet) -> Callable[[MoveLink], None]:
        def assign(move: MoveLink) -> None:
            self._assign(fleet, move)
        return assign

    def connect(self, transport: Transport) -> None:
        """Create the managers and vehicles on ``transport`` (before the model begins)."""
        if self.transport is not None:
            return
        self.transport = transport
        kernel = self.model.kernel
        for spec, fleet in zip(self.model.plant.fleets, self.model.fleets, strict=True):
            net = PathNetwork.from_fleet(spec)
            serials = [f"{spec.id}-{i + 1:02d}" for i in range(spec.size)]
            mgr = FleetManager(spec.id, net, transport, serials, manufacturer=MANUFACTURER,
                               speed=spec.speed, now=lambda: kernel.now, on_event=self.emit,
                               load_s=spec.load.mean_value, unload_s=spec.unload.mean_value,
                               schedule=self._schedule)
            mgr.start()
            hooks = LoadHooks(self._pick, self._drop, fleet.load, fleet.unload)
            vehicles = [SimVehicle(kernel, transport, MANUFACTURER, s, net, spec.speed,
                                   net.home, hooks=hooks) for s in serials]
            for v, agv in zip(vehicles, fleet.agvs, strict=True):
                v.on_node = self._mirror(agv)
                v.start()
            self.managers.append(mgr)
            self.vehicles.append(vehicles)

    def _schedule(self, at: float, fn: Callable[[], None]) -> None:
        """The managers' timers (planned departures) on the twin's clock."""
        kernel = self.model.kernel
        kernel.at(max(at, kernel.now), lambda _: fn())

    @staticmethod
    def _mirror(agv: Agv) -> Callable[[int], None]:
        """Keep the engine's own AGV record at the vehicle's node (the driver's snapshot)."""
        def at(node: int) -> None:
            agv.node = node
        return at

    def _assign(self, fleet: AgvFleet, move: MoveLink) -> None:
        self._n += 1
        tid = f"T{self._n}"
        self._moves[tid] = (fleet, move, self.model.kernel.now, -1.0)
        mgr = self.managers[fleet.idx]
        ids = mgr.net.ids
        mgr.submit(ids[move.pick], ids[move.drop], task_id=tid)

    def _pick(self, tid: str) -> Item:
        fleet, move, dispatched, _ = self._moves[tid]
        move.src.outgoing -= 1
        item = move.src.take()
        self._moves[tid] = (fleet, move, dispatched, self.model.kernel.now)
        task = self.managers[fleet.idx].tasks.get(tid)
        if task is not None:
            task.vin = self.vin_of(item.vehicle)
        return item

    def _drop(self, tid: str, item: Item) -> None:
        fleet, move, dispatched, picked = self._moves.pop(tid)
        move.dst.put(item, reserved=True)
        task = self.managers[fleet.idx].tasks.pop(tid, None)
        agv = int(task.agv.rsplit("-", 1)[1]) - 1 if task is not None and task.agv else -1
        fleet.rec_transport(dispatched, picked, self.model.kernel.now, fleet.idx, agv,
                            move.idx, item.vehicle)

    def snapshot(self) -> list[dict[str, Any]]:
        """Every fleet's network and vehicles (``GET /api/v1/fleet``)."""
        out = []
        for spec, mgr in zip(self.model.plant.fleets, self.managers, strict=True):
            net = spec.network
            out.append({
                "id": spec.id,
                "network": {
                    "nodes": [{"id": n.id, "x": n.x, "y": n.y, "charger": n.charger}
                              for n in net.nodes],
                    "edges": [{"from": e.from_, "to": e.to,
                               "length": mgr.net.edge_length[k], "two_way": e.two_way}
                              for k, e in enumerate(net.edges)]},
                "agvs": mgr.snapshot()})
        return out
