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


Counts = tuple[NDArray[np.int16], NDArray[np.int16], NDArray[np.int16]]
"""Servers (working, in setup, blocked) at each state change of a station."""


def state_intervals(
    times: NDArray[np.float64], codes: NDArray[np.int8], end: float
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.int8]]:
    """(start, end, state) of every interval of positive length up to ``end``."""
    keep = _kept(times, end)
    stops = np.append(times[1:], end)
    return times[keep], stops[keep], codes[keep]


def _kept(times: NDArray[np.float64], end: float) -> NDArray[np.bool_]:
    stops = np.append(times[1:], end) if len(times) else np.empty(0)
    return np.asarray(stops > times)


def time_in_states(
    times: NDArray[np.float64],
    codes: NDArray[np.int8],
    window: Window,
    counts: Counts | None = None,
    servers: int = 1,
) -> NDArray[np.float64]:
    """Seconds spent in each :class:`State` within the window (indexed by state code).

    With the server ``counts`` of a station with several servers, the time is counted
    per server and divided by the servers: a station with 3 servers, 2 working and 1
    starved for an hour, is working 40 min and starved 20 min. Failed and planned
    stops take the whole station."""
    keep = _kept(times, window.end)
    stops = np.append(times[1:], window.end)[keep] if len(times) else np.empty(0)
    starts, states = times[keep], codes[keep].astype(np.int64)
    dur = np.clip(stops, window.start, window.end) - np.clip(starts, window.start, window.end)
    out = np.zeros(N_STATES)
    if counts is None or servers == 1:
        out += np.bincount(states, weights=dur, minlength=N_STATES)
        return out
    w, u, b = (c[keep].astype(np.float64) / servers for c in counts)
    down = (states == State.FAILED) | (states == State.PLANNED)
    up_dur = np.where(down, 0.0, dur)
    out[State.FAILED] = dur[states == State.FAILED].sum()
    out[State.PLANNED] = dur[states == State.PLANNED].sum()
    out[State.WORKING] = (up_dur * w).sum()
    out[State.SETUP] = (up_dur * u).sum()
    out[State.BLOCKED] = (up_dur * b).sum()
    out[State.STARVED] = (up_dur * (1.0 - w - u - b)).sum()
    return out


def active_periods(
    times: NDArray[np.float64],
    codes: NDArray[np.int8],
    end: float,
    counts: Counts | None = None,
    servers: int = 1,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(start, end) of every active period: a maximal run of working, setup or failed
    time (Roser, Nakano & Tanaka 2001), ignoring zero-length interruptions. A station
    with several servers is working-active only while none of its servers is idle (it
    could not take more work)."""
    keep = _kept(times, end)
    if not keep.any():
        return np.empty(0), np.empty(0)
    stops = np.append(times[1:], end)[keep]
    starts, states = times[keep], codes[keep]
    active = _ACTIVE[states]
    if counts is not None and servers > 1:
        occupied = sum(c[keep].astype(np.int64) for c in counts)
        active &= (states != State.WORKING) | (occupied >= servers)
    prev = np.concatenate(([False], active[:-1]))
    nxt = np.concatenate((active[1:], [False]))
    return starts[active & ~prev], stops[active & ~nxt]
