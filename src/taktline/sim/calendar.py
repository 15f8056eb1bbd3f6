"""The shift calendar: planned downtime windows that stop stations (maintenance).

A window stops its stations at its start (work in progress is preempted and resumes
after the window, like a failure) and releases them at its end; a window with
``every`` repeats. Time in a window is planned down time, outside the planned busy
time of the station (ISO 22400-2).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from taktline.sim.kernel import Kernel
from taktline.sim.station import Station

__all__ = ["MaintenanceWindow"]


@dataclass
class MaintenanceWindow:
    """One (possibly repeating) planned stop of a group of stations."""

    kernel: Kernel
    cause: int
    start: float
    duration: float
    every: float | None
    stations: list[Station]

    def begin(self) -> None:
        self.kernel.at(self.start, self._open)

    def _open(self, _: Any) -> None:
        for st in self.stations:
            st.plan_down(self.cause)
        self.kernel.at(self.kernel.now + self.duration, self._close)

    def _close(self, _: Any) -> None:
        for st in self.stations:
            st.plan_up(self.cause)
        if self.every is not None:
            self.kernel.at(self.kernel.now - self.duration + self.every, self._open)
