"""Compiled record writers: one function per record kind, writing a staged row.

The staged tables hold float columns and integer columns apart (``TABLE_WIDTHS`` in
:mod:`~taktline.sim.engine.layout`); the driver turns them into the columns of the
:class:`~taktline.sim.records.RecordLog` in the same order.
"""

from __future__ import annotations

from taktline.sim.engine.core import now, rec_row
from taktline.sim.engine.jit import compiled
from taktline.sim.engine.layout import (
    T_AGV,
    T_BUFFER,
    T_DISPATCH,
    T_DOWNTIME,
    T_JOIN,
    T_OP,
    T_OVERLOAD,
    T_RELEASE,
    T_SETUP,
    T_STATE,
    T_TRANSPORT,
    T_VEHICLE,
    Sim,
)

__all__ = [
    "rec_agv",
    "rec_buffer",
    "rec_dispatch",
    "rec_down",
    "rec_join",
    "rec_op",
    "rec_overload",
    "rec_release",
    "rec_setup",
    "rec_state",
    "rec_transport",
    "rec_vehicle",
]


@compiled
def rec_state(S: Sim, station: int, code: int) -> None:
    f, i = rec_row(S, T_STATE)
    S.rsf[f] = now(S)
    S.rsi[i] = station
    S.rsi[i + 1] = code


@compiled
def rec_op(S: Sim, station: int, start: float, vehicle: int, variant: int, good: int) -> None:
    f, i = rec_row(S, T_OP)
    S.rsf[f] = start
    S.rsf[f + 1] = now(S)
    S.rsi[i] = station
    S.rsi[i + 1] = vehicle
    S.rsi[i + 2] = variant
    S.rsi[i + 3] = good


@compiled
def rec_release(S: Sim, vehicle: int, variant: int, colour: int, options: int) -> None:
    f, i = rec_row(S, T_RELEASE)
    S.rsf[f] = now(S)
    S.rsi[i] = vehicle
    S.rsi[i + 1] = variant
    S.rsi[i + 2] = colour
    S.rsi[i + 3] = options


@compiled
def rec_dispatch(S: Sim, vehicle: int, sink: int, good: int) -> None:
    f, i = rec_row(S, T_DISPATCH)
    S.rsf[f] = now(S)
    S.rsi[i] = vehicle
    S.rsi[i + 1] = sink
    S.rsi[i + 2] = good


@compiled
def rec_down(S: Sim, start: float, station: int, cause: int, planned: int) -> None:
    f, i = rec_row(S, T_DOWNTIME)
    S.rsf[f] = start
    S.rsf[f + 1] = now(S)
    S.rsi[i] = station
    S.rsi[i + 1] = cause
    S.rsi[i + 2] = planned


@compiled
def rec_setup(S: Sim, station: int, duration: float, old: int, new: int) -> None:
    """Family codes as the station sees them; the driver turns them into names."""
    f, i = rec_row(S, T_SETUP)
    S.rsf[f] = now(S)
    S.rsf[f + 1] = duration
    S.rsi[i] = station
    S.rsi[i + 1] = old
    S.rsi[i + 2] = new


@compiled
def rec_overload(S: Sim, station: int, vehicle: int, option: int) -> None:
    f, i = rec_row(S, T_OVERLOAD)
    S.rsf[f] = now(S)
    S.rsi[i] = station
    S.rsi[i + 1] = vehicle
    S.rsi[i + 2] = option


@compiled
def rec_agv(S: Sim, fleet: int, agv: int, state: int) -> None:
    f, i = rec_row(S, T_AGV)
    S.rsf[f] = now(S)
    S.rsi[i] = fleet
    S.rsi[i + 1] = agv
    S.rsi[i + 2] = state


@compiled
def rec_transport(S: Sim, dispatched: float, picked: float, fleet: int, agv: int, move: int,
                  vehicle: int) -> None:
    f, i = rec_row(S, T_TRANSPORT)
    S.rsf[f] = dispatched
    S.rsf[f + 1] = picked
    S.rsf[f + 2] = now(S)
    S.rsi[i] = fleet
    S.rsi[i + 1] = agv
    S.rsi[i + 2] = move
    S.rsi[i + 3] = vehicle


@compiled
def rec_join(S: Sim, station: int, vehicle: int, part: int, serial: int) -> None:
    f, i = rec_row(S, T_JOIN)
    S.rsf[f] = now(S)
    S.rsi[i] = station
    S.rsi[i + 1] = vehicle
    S.rsi[i + 2] = part
    S.rsi[i + 3] = serial


@compiled
def rec_buffer(S: Sim, buffer: int, level: int) -> None:
    f, i = rec_row(S, T_BUFFER)
    S.rsf[f] = now(S)
    S.rsi[i] = buffer
    S.rsi[i + 1] = level


@compiled
def rec_vehicle(S: Sim, order: int) -> None:
    """A vehicle was made: its position in the sequence, or -1 when drawn from the mix."""
    _, i = rec_row(S, T_VEHICLE)
    S.rsi[i] = order
