"""Compiled side of reserved AGV routing (:mod:`taktline.sim.reserved`, docs/fleet.md).

A fleet with ``routing: reserved`` takes its decisions in ``plan.dispatch`` - the same
code the reference engine and the VDA 5050 fleet manager call. The loop cannot call
it, so a new task becomes a *request*: :func:`request_chain` samples the load and
unload seconds and takes the five sequence numbers the reference engine's five
``Kernel.at`` calls take at this point (start, loading, loaded, unloading, unloaded),
queues the request on the fleet's ring and asks for the driver (``K_PLANS``). The
loop returns before the next event, with the clock still at the request's instant;
the driver (:mod:`taktline.sim.engine.plans`) plans the chains and puts their events on
the heap with :func:`schedule_chains`, under the sequence numbers taken earlier, so the
heap holds exactly what the reference engine's does and both give the same records.

The steps (``EV_R_*``) do what :class:`taktline.sim.reserved.ReservedRouting` does.
"""

from __future__ import annotations

import numpy as np

from taktline.sim.engine.buffers import put, take
from taktline.sim.engine.core import draw, heap_insert, now, ring_push
from taktline.sim.engine.jit import compiled, inlined
from taktline.sim.engine.layout import (
    A_FLEET,
    A_ITEM,
    A_NODE,
    A_STATE,
    AF_PICKED,
    AF_TASKT,
    AGV_CARRYING,
    AGV_IDLE,
    AGV_TO_PICKUP,
    B_OUT,
    FL_LOAD,
    FL_Q0,
    FL_UNLOAD,
    IDX,
    IT_VEHICLE,
    K_PLANS,
    K_SEQ,
    KERNEL,
    MV_DROP,
    MV_DST,
    MV_FLEET,
    MV_PICK,
    MV_SRC,
    Sim,
)
from taktline.sim.engine.recording import rec_agv, rec_transport
from taktline.sim.engine.stations import handover

__all__ = [
    "CHAIN_EVENTS",
    "chain_loaded",
    "chain_start",
    "chain_state",
    "chain_unloaded",
    "request_chain",
    "schedule_chains",
]

CHAIN_EVENTS = 5
"""Events of one chain, so sequence numbers a request takes."""


@inlined
def request_chain(S: Sim, mv: int) -> None:
    """Queue a plan request for a new task of move ``mv`` (its drop place is reserved)."""
    ei = S.ei
    fl = ei[mv, MV_FLEET]
    load = draw(S, ei[fl, FL_LOAD])
    unload = draw(S, ei[fl, FL_UNLOAD])
    k = ei[KERNEL]
    seq0 = k[K_SEQ] + 1
    k[K_SEQ] += CHAIN_EVENTS
    p = ring_push(S, fl, FL_Q0, mv)
    S.poolf[p] = load
    p = ring_push(S, fl, FL_Q0, seq0)
    S.poolf[p] = unload
    k[K_PLANS] = 1


@compiled
def schedule_chains(
    S: Sim, times: np.ndarray, keys: np.ndarray, kinds: np.ndarray, targets: np.ndarray,
    tokens: np.ndarray,
) -> None:
    """Put the planned steps on the heap (called by the driver, once per service)."""
    for i in range(times.shape[0]):
        heap_insert(S, times[i], keys[i], kinds[i], targets[i], tokens[i])


@inlined
def _set(S: Sim, a: int, state: int) -> None:
    S.ei[a, A_STATE] = state
    rec_agv(S, S.ei[S.ei[a, A_FLEET], IDX], S.ei[a, IDX], state)


@inlined
def chain_start(S: Sim, a: int) -> None:
    """The AGV sets off on its chain: the task counts as dispatched now."""
    S.ef[a, AF_TASKT] = now(S)
    _set(S, a, AGV_TO_PICKUP)


@inlined
def chain_state(S: Sim, a: int, state: int) -> None:
    _set(S, a, state)


@inlined
def chain_loaded(S: Sim, a: int, mv: int) -> None:
    ei = S.ei
    src = ei[mv, MV_SRC]
    ei[src, B_OUT] -= 1
    ei[a, A_ITEM] = take(S, src)
    S.ef[a, AF_PICKED] = now(S)
    ei[a, A_NODE] = ei[mv, MV_PICK]
    _set(S, a, AGV_CARRYING)


@inlined
def chain_unloaded(S: Sim, a: int, mv: int) -> None:
    ei = S.ei
    item = ei[a, A_ITEM]
    taker = put(S, ei[mv, MV_DST], item, True)
    if taker >= 0:
        handover(S, taker)
    rec_transport(S, S.ef[a, AF_TASKT], S.ef[a, AF_PICKED], ei[ei[a, A_FLEET], IDX],
                  ei[a, IDX], ei[mv, IDX], S.items[item, IT_VEHICLE])
    ei[a, A_ITEM] = -1
    ei[a, A_NODE] = ei[mv, MV_DROP]
    _set(S, a, AGV_IDLE)
