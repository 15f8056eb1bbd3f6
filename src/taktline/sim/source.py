"""Sources and sinks: where vehicles and parts enter the plant and where they leave.

A vehicle source releases vehicles into its buffer, either as fast as there is room
(saturated) or one per interarrival time (a release that finds the buffer full waits,
and the next interarrival time starts once it is released). A part source is a
supplier feed: raw material that never runs dry, deliveries on a clock, or parts
called off by vehicles passing a station and delivered a lead time later.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

from taktline.sim.buffer import Buffer, Item
from taktline.sim.kernel import Kernel
from taktline.sim.random import Sampler

__all__ = ["PartFeed", "Release", "Sink"]


class Release:
    """Puts items into a buffer: saturated, or one per interarrival time."""

    def __init__(
        self,
        kernel: Kernel,
        buffer: Buffer,
        make: Callable[[], Item | None],
        interval: Sampler | None,
        on_put: Callable[[Item], None] | None = None,
    ) -> None:
        self.kernel = kernel
        self.buffer = buffer
        self.make = make
        self.interval = interval
        self.on_put = on_put
        self.pending: Item | None = None
        self.exhausted = False

    def begin(self) -> None:
        if self.interval is None:
            self.wake_output(0)
        else:
            self.kernel.at(self.kernel.now + self.interval(), self._arrive)

    def _put(self, item: Item) -> None:
        self.buffer.put(item)
        if self.on_put is not None:
            self.on_put(item)

    def wake_output(self, slot: int) -> None:
        buf = self.buffer
        if self.interval is not None:  # a waiting release goes in; the clock restarts
            if self.pending is not None and buf.has_space():
                self._put(self.pending)
                self.pending = None
                self.kernel.at(self.kernel.now + self.interval(), self._arrive)
            elif self.pending is not None:
                buf.wait_for_space(self, 0)
            return
        while not self.exhausted and buf.has_space():
            item = self.make()
            if item is None:
                self.exhausted = True
                return
            self._put(item)
        if not self.exhausted:
            buf.wait_for_space(self, 0)

    def _arrive(self, _: Any) -> None:
        item = self.make()
        if item is None:
            self.exhausted = True
            return
        self.pending = item
        self.wake_output(0)


class PartFeed:
    """Parts called off by vehicles finishing a station, delivered after a lead time."""

    def __init__(
        self, kernel: Kernel, buffer: Buffer, make: Callable[[], Item], lead_time: Sampler
    ) -> None:
        self.kernel = kernel
        self.buffer = buffer
        self.make = make
        self.lead_time = lead_time
        self.dock: deque[Item] = deque()  # delivered, waiting for room in the stock
        self.waiting = False

    def call_off(self, vehicle: Item) -> None:
        if vehicle.vehicle < 0:
            return
        self.kernel.at(self.kernel.now + self.lead_time(), self._deliver)

    def _deliver(self, _: Any) -> None:
        self.dock.append(self.make())
        self._unload()

    def wake_output(self, slot: int) -> None:
        self.waiting = False  # the buffer woke us: we are off its list
        self._unload()

    def _unload(self) -> None:
        buf = self.buffer
        while self.dock and buf.has_space():
            buf.put(self.dock.popleft())
        if self.dock and not self.waiting:
            self.waiting = True
            buf.wait_for_space(self, 0)


class Sink:
    """Takes every item out of its buffer at once (dispatch or scrap)."""

    def __init__(self, kernel: Kernel, idx: int, buffer: Buffer, record: Any) -> None:
        self.kernel = kernel
        self.idx = idx
        self.buffer = buffer
        self.record = record
        self.count = 0
        self.registered = False
        buffer.consumers.append(self)

    def begin(self) -> None:
        self.wake_input(0)

    def can_take_now(self, buffer: Buffer) -> bool:
        return True

    def wake_input(self, slot: int) -> None:
        if slot >= 0:
            self.registered = False
        buf = self.buffer
        while buf.ready():
            item = buf.take()
            self.count += 1
            if item.vehicle >= 0:
                self.record(self.kernel.now, item.vehicle, self.idx, 1 if item.good else 0)
        if not self.registered:
            self.registered = True
            buf.wait_for_item(self, 0)
