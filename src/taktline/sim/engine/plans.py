"""Driver side of reserved AGV routing: plan the chains the loop asked for.

The compiled loop queues a request per new task of a ``routing: reserved`` fleet
(:mod:`taktline.sim.engine.chains`) and returns. :func:`serve_plans` takes the
requests in the order they were raised, lets the fleet's
:class:`~taktline.sim.reserved.ReservedRouting` (the reference engine's, with the same
``plan.dispatch.Dispatcher``) choose the AGV and reserve its chain, and puts the
chain's five steps on the heap under the sequence numbers the loop took for them.
"""

from __future__ import annotations

import numpy as np

from taktline.sim.engine import layout as L
from taktline.sim.engine.chains import CHAIN_EVENTS
from taktline.sim.engine.layout import Sim
from taktline.sim.reserved import ReservedRouting

__all__ = ["serve_plans"]

_KEY = L.NORMAL << L.PRIO_SHIFT

Events = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def serve_plans(sim: Sim, fleets: list[tuple[int, ReservedRouting]]) -> Events | None:
    """Plan every queued request of the reserved fleets (``(fleet row, routing)``); the
    steps to schedule with :func:`schedule_chains`, as columns (time, key, kind,
    target row, token), or None."""
    ei, pool, poolf = sim.ei, sim.pool, sim.poolf
    now = float(sim.ef[L.KERNEL, L.F_NOW])
    rows: list[tuple[float, int, int, int, int]] = []
    for fl, routing in fleets:
        off, size, head, n = (int(x) for x in ei[fl, L.FL_Q0: L.FL_Q0 + 4])
        a0 = int(ei[fl, L.FL_A0])
        for k in range(0, n, 2):
            p1, p2 = off + (head + k) % size, off + (head + k + 1) % size
            mv, seq0 = int(pool[p1]), int(pool[p2])
            load, unload = float(poolf[p1]), float(poolf[p2])
            pick, drop = int(ei[mv, L.MV_PICK]), int(ei[mv, L.MV_DROP])
            times = routing.plan(pick, drop, load, unload, now)
            agv = a0 + routing.last_agv
            steps = ((L.EV_R_START, mv), (L.EV_R_STATE, L.AGV_LOADING), (L.EV_R_LOADED, mv),
                     (L.EV_R_STATE, L.AGV_UNLOADING), (L.EV_R_UNLOADED, mv))
            for i, (t, (kind, token)) in enumerate(zip(times, steps, strict=True)):
                rows.append((t, _KEY | (seq0 + i), kind, agv, token))
        ei[fl, L.FL_Q0 + 2] = (head + n) % size
        ei[fl, L.FL_Q0 + 3] = 0
    if not rows:
        return None
    assert len(rows) % CHAIN_EVENTS == 0
    cols = list(zip(*rows, strict=True))
    ints = [np.array(c, np.int64) for c in cols[1:]]
    return np.array(cols[0], np.float64), ints[0], ints[1], ints[2], ints[3]
