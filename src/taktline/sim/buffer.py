"""Items and buffers: FIFO stores of finite capacity; a conveyor adds a transit time.

A buffer counts everything that occupies it: items waiting, items still travelling on
a conveyor, and places reserved by an AGV that is on its way to drop a load. Whoever
empties a buffer is a *consumer* (a station, a sink, an AGV move); whoever fills it is
a *producer*. A consumer that finds nothing waits in the buffer's ``waiting`` list; a
producer that finds it full waits in ``blocked``. Both are woken, in FIFO order, at the
instant the buffer changes.
"""

from __future__ import annotations

from collections import deque
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from taktline.sim.kernel import Kernel

__all__ = ["Buffer", "Consumer", "Item", "Producer"]


class Item:
    """A vehicle (``vehicle >= 0``) or a part travelling through the plant."""

    __slots__ = (
        "colour", "good", "model", "options", "part", "rejected", "serial", "variant", "vehicle",
    )

    def __init__(
        self,
        serial: int,
        part: int,
        vehicle: int = -1,
        variant: int = -1,
        model: int = -1,
        colour: int = -1,
        options: int = 0,
    ) -> None:
        self.serial = serial
        self.part = part
        self.vehicle = vehicle
        self.variant = variant
        self.model = model
        self.colour = colour
        self.options = options
        self.good = True  # passed every quality check so far (first-time quality)
        self.rejected = False  # failed the check of the station holding it: goes to rework


class Consumer(Protocol):
    def wake_input(self, slot: int) -> None: ...

    def can_take_now(self, buffer: Buffer) -> bool: ...


class Producer(Protocol):
    def wake_output(self, slot: int) -> None: ...


class Buffer:
    """A FIFO store; with ``transit > 0`` a conveyor on which items cannot overtake."""

    __slots__ = (
        "_record",
        "avail",
        "blocked",
        "capacity",
        "consumers",
        "count",
        "id",
        "idx",
        "items",
        "kernel",
        "outgoing",
        "transit",
        "waiting",
    )

    def __init__(
        self, kernel: Kernel, idx: int, ident: str, capacity: int | None, transit: float
    ) -> None:
        self.kernel = kernel
        self.idx = idx
        self.id = ident
        self.capacity = capacity
        self.transit = transit
        self.items: deque[Item] = deque()
        self.avail: deque[float] = deque()  # conveyor: time each item reaches the end
        self.count = 0  # items + places reserved by AGVs on their way here
        self.outgoing = 0  # items promised to an AGV that has not picked them yet
        self.waiting: list[tuple[Any, int]] = []  # starved consumers (consumer, input slot)
        self.blocked: list[tuple[Any, int]] = []  # blocked producers (producer, output slot)
        self.consumers: list[Any] = []  # everyone who empties this buffer
        self._record: Any = None

    def record_levels(self, append: Any) -> None:
        """Record ``(time, buffer, level)`` at every change from now on."""
        self._record = append

    # -- filling -------------------------------------------------------------------
    def has_space(self) -> bool:
        cap = self.capacity
        if cap is None or self.count < cap:
            return True
        if cap == 0:  # a hand-over place: only if a consumer takes the item at once
            return any(c.can_take_now(self) for c in self.consumers)
        return False

    def reserve(self) -> None:
        """Hold a place for an item that will be put later (an AGV on its way)."""
        self.count += 1

    def put(self, item: Item, reserved: bool = False) -> None:
        """Add an item (the caller checked :meth:`has_space` or reserved a place)."""
        if not reserved:
            self.count += 1
        self.items.append(item)
        if self.transit > 0.0:
            now = self.kernel.now
            ready = now + self.transit
            if self.avail and self.avail[-1] > ready:
                ready = self.avail[-1]
            self.avail.append(ready)
            self.kernel.at(ready, self._arrived)
        elif self.waiting:
            self._wake_consumers()
        if self._record is not None and self.capacity != 0:
            self._record(self.kernel.now, self.idx, self.count)
        if self.capacity == 0:
            for c in self.consumers:  # hand over at once
                if c.can_take_now(self):
                    c.wake_input(-1)
                    break
            else:  # nobody takes it (an AGV's reserved drop): it stays, and counts
                if self._record is not None:
                    self._record(self.kernel.now, self.idx, self.count)

    def _arrived(self, _: Any) -> None:
        if self.waiting:
            self._wake_consumers()

    def _wake_consumers(self) -> None:
        waiting = self.waiting
        self.waiting = []
        soon = self.kernel.soon
        for consumer, slot in waiting:
            soon(partial(consumer.wake_input, slot))

    # -- emptying ------------------------------------------------------------------
    def ready(self) -> int:
        """Items that can be taken now (on a conveyor: those at its end)."""
        n = len(self.items) - self.outgoing
        if self.transit > 0.0 and n > 0:
            now = self.kernel.now
            avail = self.avail
            k = self.outgoing
            while k < len(avail) and avail[k] <= now:
                k += 1
            n = k - self.outgoing
        return n

    def take(self) -> Item:
        """Remove the head item and wake blocked producers."""
        item = self.items.popleft()
        if self.transit > 0.0:
            self.avail.popleft()
        self.count -= 1
        if self._record is not None:
            self._record(self.kernel.now, self.idx, self.count)
        if self.blocked:
            blocked = self.blocked
            self.blocked = []
            soon = self.kernel.soon
            for producer, slot in blocked:
                soon(partial(producer.wake_output, slot))
        return item

    def wait_for_item(self, consumer: Any, slot: int) -> None:
        self.waiting.append((consumer, slot))
        if self.capacity == 0 and self.blocked:  # a hand-over place now has a taker
            blocked = self.blocked
            self.blocked = []
            soon = self.kernel.soon
            for producer, pslot in blocked:
                soon(partial(producer.wake_output, pslot))

    def wait_for_space(self, producer: Any, slot: int) -> None:
        self.blocked.append((producer, slot))

    @property
    def level(self) -> int:
        return self.count
