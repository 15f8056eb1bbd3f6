"""The compiled event loop: what each event and each same-instant wake-up does, and
the loop that advances the clock (:class:`taktline.sim.kernel.Kernel` ``run``).

The loop returns to Python between two events when a sampler, a queue or a record
table needs the driver (``ki[K_SERVICE]``); calling it again goes on where it stopped.
"""

from __future__ import annotations

from taktline.sim.engine.buffers import arrived
from taktline.sim.engine.core import heap_pop, soon_pop
from taktline.sim.engine.flows import (
    agv_at_drop,
    agv_at_pickup,
    agv_loaded,
    agv_unloaded,
    feed_deliver,
    feed_wake_output,
    fleet_begin,
    move_wake_input,
    move_wake_output,
    release_arrive,
    release_begin,
    release_wake_output,
)
from taktline.sim.engine.jit import compiled
from taktline.sim.engine.layout import (
    EK_FEED,
    EK_FLEET,
    EK_MOVE,
    EK_RELEASE,
    EK_SINK,
    EK_STATION,
    EK_WINDOW,
    EV_ARRIVED,
    EV_AT_DROP,
    EV_AT_PICKUP,
    EV_DELIVER,
    EV_DONE,
    EV_FAIL_CAL,
    EV_FAIL_OP,
    EV_LOADED,
    EV_RELEASE,
    EV_REPAIRED,
    EV_SETUP_DONE,
    EV_UNLOADED,
    EV_WIN_CLOSE,
    EV_WIN_OPEN,
    F_NOW,
    K_EVENTS,
    K_HEAP_N,
    K_SERVICE,
    K_SOON_N,
    KIND,
    OP_WAKE_IN,
    S_BF0,
    S_WF0,
    Sim,
)
from taktline.sim.engine.sink import sink_wake_input
from taktline.sim.engine.stations import station_wake
from taktline.sim.engine.work import (
    done,
    fail_calendar,
    fail_operating,
    repaired,
    setup_done,
    station_begin,
    window_begin,
    window_close,
    window_open,
)

__all__ = ["DONE", "SERVICE", "begin", "run_until"]

DONE = 0
SERVICE = 1


@compiled
def _fire(S: Sim, kind: int, target: int, token: int) -> None:
    if kind == EV_DONE:
        done(S, target, token)
    elif kind == EV_SETUP_DONE:
        setup_done(S, target, token)
    elif kind == EV_FAIL_OP:
        fail_operating(S, target, token)
    elif kind == EV_REPAIRED:
        repaired(S, target)
    elif kind == EV_FAIL_CAL:
        fail_calendar(S, target)
    elif kind == EV_ARRIVED:
        arrived(S, target)
    elif kind == EV_RELEASE:
        release_arrive(S, target)
    elif kind == EV_DELIVER:
        feed_deliver(S, target)
    elif kind == EV_AT_PICKUP:
        agv_at_pickup(S, target)
    elif kind == EV_LOADED:
        agv_loaded(S, target)
    elif kind == EV_AT_DROP:
        agv_at_drop(S, target)
    elif kind == EV_UNLOADED:
        agv_unloaded(S, target)
    elif kind == EV_WIN_OPEN:
        window_open(S, target)
    elif kind == EV_WIN_CLOSE:
        window_close(S, target)


@compiled
def _wake_in(S: Sim, actor: int, slot: int) -> None:
    kind = S.ei[actor, KIND]
    if kind == EK_STATION:
        if slot >= 0:
            S.aux[S.ei[actor, S_WF0] + slot] = 0
        station_wake(S, actor)
    elif kind == EK_SINK:
        sink_wake_input(S, actor, slot)
    else:
        move_wake_input(S, actor, slot)


@compiled
def _wake_out(S: Sim, actor: int, slot: int) -> None:
    kind = S.ei[actor, KIND]
    if kind == EK_STATION:
        S.aux[S.ei[actor, S_BF0] + slot] = 0
        station_wake(S, actor)
    elif kind == EK_RELEASE:
        release_wake_output(S, actor, slot)
    elif kind == EK_FEED:
        feed_wake_output(S, actor, slot)
    elif kind == EK_MOVE:
        move_wake_output(S, actor, slot)


@compiled
def _run_soon(S: Sim) -> None:
    while S.ki[K_SOON_N]:
        op, actor, slot = soon_pop(S)
        if op == OP_WAKE_IN:
            _wake_in(S, actor, slot)
        else:
            _wake_out(S, actor, slot)


@compiled
def run_until(S: Sim, until: float) -> int:
    """Process events up to and including ``until`` (then the clock stands at ``until``),
    or return ``SERVICE`` early, between two events, when the driver is needed."""
    ki, ht = S.ki, S.ht
    _run_soon(S)
    while ki[K_HEAP_N] and ht[0] <= until:
        if ki[K_SERVICE]:
            return SERVICE
        time, kind, target, token = heap_pop(S)
        S.kf[F_NOW] = time
        _fire(S, kind, target, token)
        ki[K_EVENTS] += 1
        _run_soon(S)
    if until > S.kf[F_NOW]:
        S.kf[F_NOW] = until
    return DONE


@compiled
def begin(S: Sim, order: object) -> None:
    """Arm every component at time 0, in the model's order (rows in ``order``)."""
    for k in range(len(order)):  # type: ignore[arg-type]
        row = order[k]  # type: ignore[index]
        kind = S.ei[row, KIND]
        if kind == EK_STATION:
            station_begin(S, row)
        elif kind == EK_RELEASE:
            release_begin(S, row)
        elif kind == EK_SINK:
            sink_wake_input(S, row, 0)
        elif kind == EK_FLEET:
            fleet_begin(S, row)
        elif kind == EK_WINDOW:
            window_begin(S, row)
