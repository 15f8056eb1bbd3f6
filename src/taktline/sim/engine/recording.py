"""Compiled record writers: one function per record kind, writing a staged row.

The staged tables hold float columns and integer columns apart (``TABLE_WIDTHS`` in
:mod:`~taktline.sim.engine.layout`); the driver turns them into the columns of the
:class:`~taktline.sim.records.RecordLog` in the same order.
"""

from __future__ import annotations

from taktline.sim.engine.core import now, rec_row
from taktline.sim.engine.jit import inlined
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


@inlined
def rec_state(S: Sim, station: int, code: int, working: int, setup: int,
              blocked: int) -> None:
    f, i = rec_row(S, T_STATE)
    S.poolf[f] = now(S)
    S.pool[i] = station
    S.pool[i + 1] = code
    S.pool[i + 2] = working
    S.pool[i + 3] = setup
    S.pool[i + 4] = blocked


@inlined
def rec_op(S: Sim, station: int, start: float, vehicle: int, variant: int, good: int) -> None:
    f, i = rec_row(S, T_OP)
    S.poolf[f] = start
    S.poolf[f + 1] = now(S)
    S.pool[i] = station
    S.pool[i + 1] = vehicle
    S.pool[i + 2] = variant
    S.pool[i + 3] = good


@inlined
def rec_release(S: Sim, vehicle: int, variant: int, colour: int, options: int) -> None:
    f, i = rec_row(S, T_RELEASE)
    S.poolf[f] = now(S)
    S.pool[i] = vehicle
    S.pool[i + 1] = variant
    S.pool[i + 2] = colour
    S.pool[i + 3] = options


@inlined
def rec_dispatch(S: Sim, vehicle: int, sink: int, good: int) -> None:
    f, i = rec_row(S, T_DISPATCH)
    S.poolf[f] = now(S)
    S.pool[i] = vehicle
    S.pool[i + 1] = sink
    S.pool[i + 2] = good


@inlined
def rec_down(S: Sim, start: float, station: int, cause: int, planned: int) -> None:
    f, i = rec_row(S, T_DOWNTIME)
    S.poolf[f] = start
    S.poolf[f + 1] = now(S)
    S.pool[i] = station
    S.pool[i + 1] = cause
    S.pool[i + 2] = planned


@inlined
def rec_setup(S: Sim, station: int, duration: float, old: int, new: int) -> None:
    """Family codes as the station sees them; the driver turns them into names."""
    f, i = rec_row(S, T_SETUP)
    S.poolf[f] = now(S)
    S.poolf[f + 1] = duration
    S.pool[i] = station
    S.pool[i + 1] = old
    S.pool[i + 2] = new


@inlined
def rec_overload(S: Sim, station: int, vehicle: int, option: int) -> None:
    f, i = rec_row(S, T_OVERLOAD)
    S.poolf[f] = now(S)
    S.pool[i] = station
    S.pool[i + 1] = vehicle
    S.pool[i + 2] = option


@inlined
def rec_agv(S: Sim, fleet: int, agv: int, state: int) -> None:
    f, i = rec_row(S, T_AGV)
    S.poolf[f] = now(S)
    S.pool[i] = fleet
    S.pool[i + 1] = agv
    S.pool[i + 2] = state


@inlined
def rec_transport(S: Sim, dispatched: float, picked: float, fleet: int, agv: int, move: int,
                  vehicle: int) -> None:
    f, i = rec_row(S, T_TRANSPORT)
    S.poolf[f] = dispatched
    S.poolf[f + 1] = picked
    S.poolf[f + 2] = now(S)
    S.pool[i] = fleet
    S.pool[i + 1] = agv
    S.pool[i + 2] = move
    S.pool[i + 3] = vehicle


@inlined
def rec_join(S: Sim, station: int, vehicle: int, part: int, serial: int) -> None:
    f, i = rec_row(S, T_JOIN)
    S.poolf[f] = now(S)
    S.pool[i] = station
    S.pool[i + 1] = vehicle
    S.pool[i + 2] = part
    S.pool[i + 3] = serial


@inlined
def rec_buffer(S: Sim, buffer: int, level: int) -> None:
    f, i = rec_row(S, T_BUFFER)
    S.poolf[f] = now(S)
    S.pool[i] = buffer
    S.pool[i + 1] = level


@inlined
def rec_vehicle(S: Sim, order: int) -> None:
    """A vehicle was made: its position in the sequence, or -1 when drawn from the mix."""
    _, i = rec_row(S, T_VEHICLE)
    S.pool[i] = order
