"""The compiled event loop: what each event and each same-instant wake-up does, and
the loop that advances the clock (:class:`taktline.sim.kernel.Kernel` ``run``). It is
the only entry point the driver calls; the components' ``begin`` arrive through the
same-instant queue.

The loop returns to Python between two events when a sampler, a queue or a record
table needs the driver (``K_SERVICE``); calling it again goes on where it stopped.
"""

from __future__ import annotations

from taktline.sim.engine.buffers import arrived
from taktline.sim.engine.chains import chain_loaded, chain_start, chain_state, chain_unloaded
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
from taktline.sim.engine.jit import compiled, inlined
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
    EV_R_LOADED,
    EV_R_START,
    EV_R_STATE,
    EV_R_UNLOADED,
    EV_RELEASE,
    EV_REPAIRED,
    EV_SETUP_DONE,
    EV_UNLOADED,
    EV_WIN_CLOSE,
    EV_WIN_OPEN,
    F_NOW,
    K_BEGIN_ONLY,
    K_EVENTS,
    K_HEAP_N,
    K_PLANS,
    K_SERVICE,
    K_SOON0,
    K_SOON_HEAD,
    K_SOON_N,
    KERNEL,
    KIND,
    OP_BEGIN,
    OP_WAKE_IN,
    OP_WAKE_OUT,
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

__all__ = ["DONE", "SERVICE", "run_until"]

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
    elif kind == EV_R_START:
        chain_start(S, target)
    elif kind == EV_R_STATE:
        chain_state(S, target, token)
    elif kind == EV_R_LOADED:
        chain_loaded(S, target, token)
    elif kind == EV_R_UNLOADED:
        chain_unloaded(S, target, token)


@compiled
def _wake_in(S: Sim, actor: int, slot: int) -> None:
    kind = S.ei[actor, KIND]
    if kind == EK_STATION:
        if slot >= 0:
            S.pool[S.ei[actor, S_WF0] + slot] = 0
        station_wake(S, actor)
    elif kind == EK_SINK:
        sink_wake_input(S, actor, slot)
    else:
        move_wake_input(S, actor, slot)


@compiled
def _wake_out(S: Sim, actor: int, slot: int) -> None:
    kind = S.ei[actor, KIND]
    if kind == EK_STATION:
        S.pool[S.ei[actor, S_BF0] + slot] = 0
        station_wake(S, actor)
    elif kind == EK_RELEASE:
        release_wake_output(S, actor, slot)
    elif kind == EK_FEED:
        feed_wake_output(S, actor, slot)
    elif kind == EK_MOVE:
        move_wake_output(S, actor, slot)


@compiled
def _begin(S: Sim, row: int) -> None:
    """Arm a component at time 0 (the Python model's ``begin``)."""
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


@inlined
def _run_soon(S: Sim) -> None:
    """Everything queued for this instant, in FIFO order. The driver queues the
    components' ``begin`` first, so what they queue in turn runs after all of them, as
    in the Python model (with ``K_BEGIN_ONLY`` nothing else runs: a run of length 0)."""
    k = S.ei[KERNEL]
    while k[K_SOON_N]:
        if k[K_BEGIN_ONLY] and S.pool[k[K_SOON0] + 3 * k[K_SOON_HEAD]] != OP_BEGIN:
            return
        op, actor, slot = soon_pop(S)
        if op == OP_WAKE_IN:
            _wake_in(S, actor, slot)
        elif op == OP_WAKE_OUT:
            _wake_out(S, actor, slot)
        else:
            _begin(S, actor)


@compiled
def run_until(S: Sim, until: float) -> int:
    """Process events up to and including ``until`` (then the clock stands at ``until``),
    or return ``SERVICE`` early, between two events, when the driver is needed."""
    k, ht = S.ei[KERNEL], S.ht
    _run_soon(S)
    while True:
        if k[K_SERVICE] or k[K_PLANS]:  # plan requests: before the clock moves on
            return SERVICE
        if not (k[K_HEAP_N] and ht[0] <= until):
            break
        time, kind, target, token = heap_pop(S)
        S.ef[KERNEL, F_NOW] = time
        _fire(S, kind, target, token)
        k[K_EVENTS] += 1
        _run_soon(S)
    if until > S.ef[KERNEL, F_NOW]:
        S.ef[KERNEL, F_NOW] = until
    return DONE
