"""AGV fleets: vehicles that carry items between buffers over a path network.

A move (``from`` buffer -> ``to`` buffer) becomes a transport task as soon as an item
waits at its pickup and its drop buffer has room; the drop place is reserved at once,
so a loaded AGV always has somewhere to go. A task is given to the nearest idle AGV
(shortest path distance to the pickup, ties to the lower AGV number); when none is
idle it waits, and an AGV that becomes idle takes the oldest waiting task. A transport
is: travel empty to the pickup, load, travel loaded, unload. Travel times are shortest
path lengths over the network divided by the fleet's speed.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from taktline.sim.buffer import Buffer, Item
from taktline.sim.kernel import Kernel
from taktline.sim.random import Sampler

__all__ = ["Agv", "AgvFleet", "MoveLink"]

IDLE, TO_PICKUP, LOADING, CARRYING, UNLOADING = range(5)


class Agv:
    __slots__ = ("idx", "item", "node", "state", "task")

    def __init__(self, idx: int, node: int) -> None:
        self.idx = idx
        self.node = node
        self.state = IDLE
        self.item: Item | None = None
        self.task: tuple[MoveLink, float] | None = None


class MoveLink:
    """One move of a fleet: empties ``src`` (as its consumer) into ``dst``."""

    def __init__(self, fleet: AgvFleet, idx: int, src: Buffer, dst: Buffer, pick: int, drop: int):
        self.fleet = fleet
        self.idx = idx
        self.src = src
        self.dst = dst
        self.pick = pick
        self.drop = drop
        self.waiting_item = False
        self.waiting_space = False
        src.consumers.append(self)

    def can_take_now(self, buffer: Buffer) -> bool:
        return False

    def wake_input(self, slot: int) -> None:
        if slot >= 0:
            self.waiting_item = False
        self.request()

    def wake_output(self, slot: int) -> None:
        self.waiting_space = False
        self.request()

    def request(self) -> None:
        """Turn every waiting item that has a place to go into a task."""
        src, dst = self.src, self.dst
        while src.ready() > 0:
            if not dst.has_space():
                if not self.waiting_space:
                    self.waiting_space = True
                    dst.wait_for_space(self, 0)
                return
            src.outgoing += 1
            dst.reserve()
            self.fleet.assign(self)
        if not self.waiting_item:
            self.waiting_item = True
            src.wait_for_item(self, 0)


class AgvFleet:
    """The AGVs of one fleet and the moves they serve."""

    def __init__(
        self,
        kernel: Kernel,
        idx: int,
        size: int,
        home: int,
        distances: list[list[float]],
        speed: float,
        load: Sampler,
        unload: Sampler,
        rec_state: Any,
        rec_transport: Any,
    ) -> None:
        self.kernel = kernel
        self.idx = idx
        self.agvs = [Agv(i, home) for i in range(size)]
        self.dist = distances
        self.speed = speed
        self.load = load
        self.unload = unload
        self.moves: list[MoveLink] = []
        self.pending: deque[tuple[MoveLink, float]] = deque()
        self.rec_state = rec_state
        self.rec_transport = rec_transport

    def begin(self) -> None:
        for agv in self.agvs:
            self.rec_state(self.kernel.now, self.idx, agv.idx, IDLE)
        for move in self.moves:
            move.request()

    def _set(self, agv: Agv, state: int) -> None:
        agv.state = state
        self.rec_state(self.kernel.now, self.idx, agv.idx, state)

    def assign(self, move: MoveLink) -> None:
        task = (move, self.kernel.now)
        best: Agv | None = None
        best_d = float("inf")
        for agv in self.agvs:
            if agv.state == IDLE:
                d = self.dist[agv.node][move.pick]
                if d < best_d:
                    best, best_d = agv, d
        if best is None:
            self.pending.append(task)
        else:
            self._start(best, task)

    def _start(self, agv: Agv, task: tuple[MoveLink, float]) -> None:
        move = task[0]
        agv.task = (move, self.kernel.now)  # dispatched: now, when an AGV takes it
        self._set(agv, TO_PICKUP)
        travel = self.dist[agv.node][move.pick] / self.speed
        self.kernel.at(self.kernel.now + travel, self._at_pickup, agv)

    def _at_pickup(self, agv: Agv) -> None:
        assert agv.task is not None
        agv.node = agv.task[0].pick
        self._set(agv, LOADING)
        self.kernel.at(self.kernel.now + self.load(), self._loaded, agv)

    def _loaded(self, agv: Agv) -> None:
        assert agv.task is not None
        move = agv.task[0]
        move.src.outgoing -= 1
        agv.item = move.src.take()
        self._set(agv, CARRYING)
        travel = self.dist[move.pick][move.drop] / self.speed
        self.kernel.at(self.kernel.now + travel, self._at_drop, (agv, self.kernel.now))

    def _at_drop(self, arg: tuple[Agv, float]) -> None:
        agv, picked = arg
        assert agv.task is not None
        agv.node = agv.task[0].drop
        self._set(agv, UNLOADING)
        self.kernel.at(self.kernel.now + self.unload(), self._unloaded, (agv, picked))

    def _unloaded(self, arg: tuple[Agv, float]) -> None:
        agv, picked = arg
        assert agv.task is not None and agv.item is not None
        move, dispatched = agv.task
        move.dst.put(agv.item, reserved=True)
        now = self.kernel.now
        self.rec_transport(dispatched, picked, now, self.idx, agv.idx, move.idx, agv.item.vehicle)
        agv.item = None
        agv.task = None
        self._set(agv, IDLE)
        if self.pending:
            self._start(agv, self.pending.popleft())
