"""Compiled completions, failures and planned stops of stations (the rest of
:mod:`taktline.sim.station`) and the maintenance windows of :mod:`taktline.sim.calendar`.
"""

from __future__ import annotations

from taktline.sim.engine.core import draw, heap_push, now
from taktline.sim.engine.jit import inlined
from taktline.sim.engine.layout import (
    BLOCKED,
    EV_DELIVER,
    EV_DONE,
    EV_FAIL_CAL,
    EV_REPAIRED,
    EV_SETUP_DONE,
    EV_WIN_CLOSE,
    EV_WIN_OPEN,
    FD_LEAD,
    IDLE,
    IDX,
    IT_GOOD,
    IT_REJECT,
    IT_VARIANT,
    IT_VEHICLE,
    LATE,
    M_CAUSE,
    M_DOWN,
    M_OPER,
    M_STATION,
    M_TTF,
    M_TTR,
    MF_LEFT,
    MF_SINCE,
    NORMAL,
    S_BLOCKED,
    S_BUSY,
    S_FAILED,
    S_FIN0,
    S_FTOKEN,
    S_IDLE,
    S_M0,
    S_NCALM,
    S_NFIN,
    S_NOPM,
    S_NV,
    S_PCAUSE,
    S_PLANNED,
    S_QSAMP,
    S_REJECT,
    S_SETUP,
    S_V0,
    SETUP,
    SF_FPY,
    SF_PSINCE,
    V_ITEM,
    V_STATE,
    V_STATION,
    V_TOKEN,
    VF_END,
    VF_LEFT,
    VF_START,
    VF_WORK,
    W_CAUSE,
    W_HASEVERY,
    W_NS,
    W_ST0,
    WF_DUR,
    WF_EVERY,
    WF_START,
    WORK,
    Sim,
)
from taktline.sim.engine.recording import rec_down, rec_op
from taktline.sim.engine.state import op_start, op_stop, update_state
from taktline.sim.engine.stations import begin_work, push, station_take, station_wake

__all__ = [
    "done",
    "fail_calendar",
    "fail_operating",
    "repaired",
    "setup_done",
    "station_begin",
    "window_begin",
    "window_close",
    "window_open",
]


@inlined
def station_begin(S: Sim, s: int) -> None:
    """Start of the run: record the first state, arm failures, look for work."""
    ei, ef = S.ei, S.ef
    m0 = ei[s, S_M0]
    for m in range(m0, m0 + ei[s, S_NOPM]):
        ef[m, MF_LEFT] = draw(S, ei[m, M_TTF])
    t = now(S)
    for m in range(m0 + ei[s, S_NOPM], m0 + ei[s, S_NOPM] + ei[s, S_NCALM]):
        heap_push(S, t + draw(S, ei[m, M_TTF]), LATE, EV_FAIL_CAL, m, 0)
    update_state(S, s)
    station_wake(S, s)


@inlined
def setup_done(S: Sim, v: int, token: int) -> None:
    ei = S.ei
    if ei[v, V_TOKEN] != token:
        return
    s = ei[v, V_STATION]
    ei[s, S_SETUP] -= 1
    ei[v, V_STATE] = WORK
    S.ef[v, VF_END] = now(S) + S.ef[v, VF_WORK]
    heap_push(S, S.ef[v, VF_END], NORMAL, EV_DONE, v, token)
    update_state(S, s)


@inlined
def _call_off(S: Sim, s: int, item: int) -> None:
    """Feeds called off by this station: one part per vehicle, a lead time later."""
    if S.items[item, IT_VEHICLE] < 0:
        return
    f0 = S.ei[s, S_FIN0]
    for k in range(S.ei[s, S_NFIN]):
        f = S.pool[f0 + k]
        heap_push(S, now(S) + draw(S, S.ei[f, FD_LEAD]), NORMAL, EV_DELIVER, f, 0)


@inlined
def done(S: Sim, v: int, token: int) -> None:
    """A server finished its item: hand it over, take the next one."""
    ei, it = S.ei, S.items
    if ei[v, V_TOKEN] != token:
        return
    s = ei[v, V_STATION]
    item = ei[v, V_ITEM]
    ok = 1
    if ei[s, S_QSAMP] >= 0 and draw(S, ei[s, S_QSAMP]) >= S.ef[s, SF_FPY]:
        ok = 0
        it[item, IT_GOOD] = 0
        it[item, IT_REJECT] = 1 if ei[s, S_REJECT] >= 0 else 0
    rec_op(S, ei[s, IDX], S.ef[v, VF_START], it[item, IT_VEHICLE], it[item, IT_VARIANT], ok)
    if ei[s, S_NFIN]:
        _call_off(S, s, item)
    if push(S, s, item):
        ei[v, V_ITEM] = -1
        nxt = station_take(S, s)
        if nxt >= 0:  # stays busy: the busy period goes on
            begin_work(S, s, v, nxt)
            if ei[s, S_SETUP]:
                update_state(S, s)
            return
        ei[v, V_STATE] = IDLE
        ei[s, S_IDLE] += 1
    else:
        ei[v, V_STATE] = BLOCKED
        ei[s, S_BLOCKED] += 1
    ei[s, S_BUSY] -= 1
    if ei[s, S_BUSY] == 0:
        op_stop(S, s)
    update_state(S, s)


# -- failures and planned stops ------------------------------------------------------
@inlined
def _preempt(S: Sim, s: int) -> None:
    ei, ef = S.ei, S.ef
    t = now(S)
    if ei[s, S_BUSY] and ei[s, S_NOPM]:
        op_stop(S, s)
    v0 = ei[s, S_V0]
    for v in range(v0, v0 + ei[s, S_NV]):
        if ei[v, V_STATE] == SETUP or ei[v, V_STATE] == WORK:
            ef[v, VF_LEFT] = ef[v, VF_END] - t
            ei[v, V_TOKEN] += 1


@inlined
def _resume(S: Sim, s: int) -> None:
    ei, ef = S.ei, S.ef
    t = now(S)
    v0 = ei[s, S_V0]
    for v in range(v0, v0 + ei[s, S_NV]):
        state = ei[v, V_STATE]
        if state in (SETUP, WORK):
            ef[v, VF_END] = t + ef[v, VF_LEFT]
            ei[v, V_TOKEN] += 1
            kind = EV_SETUP_DONE if state == SETUP else EV_DONE
            heap_push(S, ef[v, VF_END], NORMAL, kind, v, ei[v, V_TOKEN])
    if ei[s, S_BUSY]:
        op_start(S, s)
    update_state(S, s)
    station_wake(S, s)


@inlined
def _go_down(S: Sim, s: int, m: int) -> None:
    ei = S.ei
    t = now(S)
    if not (ei[s, S_FAILED] or ei[s, S_PLANNED]):
        _preempt(S, s)
    ei[s, S_FAILED] += 1
    ei[m, M_DOWN] = 1
    S.ef[m, MF_SINCE] = t
    heap_push(S, t + draw(S, ei[m, M_TTR]), NORMAL, EV_REPAIRED, m, 0)
    update_state(S, s)


@inlined
def fail_operating(S: Sim, m: int, token: int) -> None:
    s = S.ei[m, M_STATION]
    if token != S.ei[s, S_FTOKEN]:
        return
    _go_down(S, s, m)  # stops the ageing of every operating-basis mode
    S.ef[m, MF_LEFT] = 0.0


@inlined
def fail_calendar(S: Sim, m: int) -> None:
    _go_down(S, S.ei[m, M_STATION], m)


@inlined
def repaired(S: Sim, m: int) -> None:
    ei = S.ei
    s = ei[m, M_STATION]
    t = now(S)
    ei[m, M_DOWN] = 0
    ei[s, S_FAILED] -= 1
    rec_down(S, S.ef[m, MF_SINCE], ei[s, IDX], ei[m, M_CAUSE], 0)
    if ei[m, M_OPER]:
        S.ef[m, MF_LEFT] = draw(S, ei[m, M_TTF])
    else:
        heap_push(S, t + draw(S, ei[m, M_TTF]), LATE, EV_FAIL_CAL, m, 0)
    if not (ei[s, S_FAILED] or ei[s, S_PLANNED]):
        _resume(S, s)
    else:
        update_state(S, s)


@inlined
def _plan_down(S: Sim, s: int, cause: int) -> None:
    ei = S.ei
    if not (ei[s, S_FAILED] or ei[s, S_PLANNED]):
        _preempt(S, s)
    if not ei[s, S_PLANNED]:
        S.ef[s, SF_PSINCE] = now(S)
        ei[s, S_PCAUSE] = cause
    ei[s, S_PLANNED] += 1
    update_state(S, s)


@inlined
def _plan_up(S: Sim, s: int) -> None:
    ei = S.ei
    ei[s, S_PLANNED] -= 1
    if not ei[s, S_PLANNED]:
        rec_down(S, S.ef[s, SF_PSINCE], ei[s, IDX], ei[s, S_PCAUSE], 1)
    if not (ei[s, S_FAILED] or ei[s, S_PLANNED]):
        _resume(S, s)
    else:
        update_state(S, s)


@inlined
def window_begin(S: Sim, w: int) -> None:
    heap_push(S, S.ef[w, WF_START], NORMAL, EV_WIN_OPEN, w, 0)


@inlined
def window_open(S: Sim, w: int) -> None:
    ei = S.ei
    st0 = ei[w, W_ST0]
    for k in range(ei[w, W_NS]):
        _plan_down(S, S.pool[st0 + k], ei[w, W_CAUSE])
    heap_push(S, now(S) + S.ef[w, WF_DUR], NORMAL, EV_WIN_CLOSE, w, 0)


@inlined
def window_close(S: Sim, w: int) -> None:
    ei = S.ei
    st0 = ei[w, W_ST0]
    for k in range(ei[w, W_NS]):
        _plan_up(S, S.pool[st0 + k])
    if ei[w, W_HASEVERY]:
        heap_push(S, now(S) - S.ef[w, WF_DUR] + S.ef[w, WF_EVERY], NORMAL, EV_WIN_OPEN, w, 0)
