"""Station state intervals from the state-change records: time per state, active periods.

A state holds from its record until the next record of the same station (the last one
until the end of the window). Records at the same instant give intervals of zero
length, which carry no time and do not interrupt an active period.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from taktline.sim.records import State

__all__ = ["N_STATES", "Window", "active_periods", "state_intervals", "time_in_states"]

N_STATES = len(State)
_ACTIVE = np.zeros(N_STATES, dtype=bool)
_ACTIVE[[State.WORKING, State.FAILED, State.SETUP]] = True


@dataclass(frozen=True, slots=True)
class Window:
    """The measured part of a run: statistics use [start, end)."""

    start: float
    end: float

    @property
    def length(self) -> float:
        return self.end - self.start


def state_intervals(
    times: NDArray[np.float64], codes: NDArray[np.int8], end: float
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.int8]]:
    """(start, end, state) of every interval of positive length up to ``end``."""
    if len(times) == 0:
        return np.empty(0), np.empty(0), np.empty(0, dtype=np.int8)
    stops = np.append(times[1:], end)
    keep = stops > times
    return times[keep], stops[keep], codes[keep]


def time_in_states(
    times: NDArray[np.float64], codes: NDArray[np.int8], window: Window
) -> NDArray[np.float64]:
    """Seconds spent in each :class:`State` within the window (indexed by state code)."""
    starts, stops, states = state_intervals(times, codes, window.end)
    s = np.clip(starts, window.start, window.end)
    e = np.clip(stops, window.start, window.end)
    out: NDArray[np.float64] = np.bincount(
        states.astype(np.int64), weights=e - s, minlength=N_STATES
    ).astype(np.float64)
    return out


def active_periods(
    times: NDArray[np.float64], codes: NDArray[np.int8], end: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(start, end) of every active period: a maximal run of working, setup or failed
    time (Roser, Nakano & Tanaka 2001), ignoring zero-length interruptions."""
    starts, stops, states = state_intervals(times, codes, end)
    if len(starts) == 0:
        return np.empty(0), np.empty(0)
    active = _ACTIVE[states]
    prev = np.concatenate(([False], active[:-1]))
    nxt = np.concatenate((active[1:], [False]))
    return starts[active & ~prev], stops[active & ~nxt]
