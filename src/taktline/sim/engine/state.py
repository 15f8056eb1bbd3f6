"""Compiled station state: the recorded aggregate state and the ageing of
operating-basis failure modes (busy periods)."""

from __future__ import annotations

from taktline.sim.engine.core import heap_push, now
from taktline.sim.engine.jit import inlined
from taktline.sim.engine.layout import (
    EV_FAIL_OP,
    IDX,
    LATE,
    MF_LEFT,
    S_BLOCKED,
    S_BUSY,
    S_FAILED,
    S_FTOKEN,
    S_LBLOCK,
    S_LSETUP,
    S_LWORK,
    S_M0,
    S_NOPM,
    S_NV,
    S_PLANNED,
    S_SETUP,
    S_STATE,
    SF_OPSINCE,
    Sim,
)
from taktline.sim.engine.recording import rec_state

__all__ = ["op_start", "op_stop", "update_state"]

STARVED, WORKING, BLOCKED_STATE, FAILED, SETUP_STATE, PLANNED = range(6)  # records.State


@inlined
def update_state(S: Sim, s: int) -> None:
    """Record the station's state if it changed (precedence as in records.State)."""
    ei = S.ei
    if ei[s, S_FAILED]:
        code = FAILED
    elif ei[s, S_PLANNED]:
        code = PLANNED
    elif ei[s, S_SETUP]:
        code = SETUP_STATE
    elif ei[s, S_BUSY]:
        code = WORKING
    elif ei[s, S_BLOCKED]:
        code = BLOCKED_STATE
    else:
        code = STARVED
    working = ei[s, S_BUSY] - ei[s, S_SETUP]
    if code != ei[s, S_STATE] or (ei[s, S_NV] > 1 and (
            working != ei[s, S_LWORK] or ei[s, S_SETUP] != ei[s, S_LSETUP]
            or ei[s, S_BLOCKED] != ei[s, S_LBLOCK])):
        ei[s, S_STATE] = code
        ei[s, S_LWORK] = working
        ei[s, S_LSETUP] = ei[s, S_SETUP]
        ei[s, S_LBLOCK] = ei[s, S_BLOCKED]
        rec_state(S, ei[s, IDX], code, working, ei[s, S_SETUP], ei[s, S_BLOCKED])


@inlined
def op_start(S: Sim, s: int) -> None:
    """A busy period begins: operating-basis modes age from now."""
    ei = S.ei
    n = ei[s, S_NOPM]
    if n == 0:
        return
    t = now(S)
    S.ef[s, SF_OPSINCE] = t
    ei[s, S_FTOKEN] += 1
    m0 = ei[s, S_M0]
    first = m0
    for m in range(m0 + 1, m0 + n):
        if S.ef[m, MF_LEFT] < S.ef[first, MF_LEFT]:
            first = m
    heap_push(S, t + S.ef[first, MF_LEFT], LATE, EV_FAIL_OP, first, ei[s, S_FTOKEN])


@inlined
def op_stop(S: Sim, s: int) -> None:
    """A busy period ends: operating-basis modes stop ageing."""
    ei = S.ei
    n = ei[s, S_NOPM]
    if n == 0:
        return
    elapsed = now(S) - S.ef[s, SF_OPSINCE]
    m0 = ei[s, S_M0]
    for m in range(m0, m0 + n):
        S.ef[m, MF_LEFT] -= elapsed
    ei[s, S_FTOKEN] += 1
