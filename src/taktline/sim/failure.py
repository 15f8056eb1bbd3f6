"""Failure modes: when a station fails and how long its repair takes.

A mode with ``basis: operating`` ages only while the station is busy (working or in
setup): its remaining time to failure is consumed during busy periods and frozen
otherwise. A mode with ``basis: calendar`` ages all the time; its next failure is a
fixed time after the end of the last repair. A failure preempts the work in progress,
which resumes where it stopped after the repair (preempt-resume).
"""

from __future__ import annotations

from dataclasses import dataclass

from taktline.sim.random import Sampler

__all__ = ["FailureMode"]


@dataclass(slots=True)
class FailureMode:
    """State of one failure mode of one station."""

    cause: int  # interned name, for the downtime records
    operating: bool  # True: ages while busy; False: ages in calendar time
    ttf: Sampler
    ttr: Sampler
    left: float = 0.0  # operating basis: busy time left until the failure
    since: float = 0.0  # start of the ongoing failure
    down: bool = False

    def next_ttf(self) -> float:
        return self.ttf()
