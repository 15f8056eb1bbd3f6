"""Clock and event calendar: the whole engine in one heap.

An event is a callback with one argument, due at a time. The calendar is a heap of
``(time, priority, sequence, callback, argument)``, so events at the same time run by
priority (``NORMAL`` before ``LATE``) and then in the order they were scheduled.
Reactions that happen *at the same instant* as an event (a buffer gets space, so a
blocked station hands over its vehicle) are queued with :meth:`Kernel.soon` and run in
FIFO order right after the event that caused them, before the clock moves on.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from heapq import heappop, heappush
from typing import Any

__all__ = ["LATE", "NORMAL", "Kernel"]

NORMAL = 1
"""Priority of ordinary events (completions, arrivals, repairs)."""
LATE = 2
"""Priority of failure onsets: a part that finishes at the instant a failure is due
finishes first (the failure hits the next part, as in a slotted line)."""


class Kernel:
    """The clock and the event calendar of one simulation run."""

    __slots__ = ("_heap", "_seq", "_soon", "events", "now")

    def __init__(self) -> None:
        self.now = 0.0
        self.events = 0
        self._heap: list[tuple[float, int, int, Callable[[Any], None], Any]] = []
        self._seq = 0
        self._soon: deque[Callable[[], None]] = deque()

    def at(
        self, time: float, fn: Callable[[Any], None], arg: Any = None, prio: int = NORMAL
    ) -> None:
        """Schedule ``fn(arg)`` at absolute ``time`` (never before now)."""
        self._seq += 1
        heappush(self._heap, (time, prio, self._seq, fn, arg))

    def soon(self, fn: Callable[[], None]) -> None:
        """Run ``fn()`` at the current instant, after the running event, in FIFO order."""
        self._soon.append(fn)

    def peek(self) -> float:
        """Time of the next event, or infinity when the calendar is empty."""
        return self._heap[0][0] if self._heap else float("inf")

    def run(self, until: float) -> None:
        """Process events up to and including time ``until``; the clock ends at ``until``."""
        heap = self._heap
        soon = self._soon
        pop = heappop
        popsoon = soon.popleft
        n = 0
        while soon:
            popsoon()()
        while heap and heap[0][0] <= until:
            time, _, _, fn, arg = pop(heap)
            self.now = time
            fn(arg)
            n += 1
            while soon:
                popsoon()()
        self.events += n
        if until > self.now:
            self.now = until
