"""Compiled sinks: take every item out of their buffer at once (dispatch or scrap)."""

from __future__ import annotations

from taktline.sim.engine.buffers import ready, take, wait_for_item
from taktline.sim.engine.core import item_free
from taktline.sim.engine.jit import compiled
from taktline.sim.engine.layout import (
    IT_GOOD,
    IT_VEHICLE,
    K_BUF,
    K_COUNT,
    K_NAME,
    K_REG,
    Sim,
)
from taktline.sim.engine.recording import rec_dispatch

__all__ = ["sink_wake_input"]


@compiled
def sink_wake_input(S: Sim, k: int, slot: int) -> None:
    ei = S.ei
    if slot >= 0:
        ei[k, K_REG] = 0
    b = ei[k, K_BUF]
    while ready(S, b):
        item = take(S, b)
        ei[k, K_COUNT] += 1
        vehicle = S.items[item, IT_VEHICLE]
        if vehicle >= 0:
            rec_dispatch(S, vehicle, ei[k, K_NAME], S.items[item, IT_GOOD])
        item_free(S, item)
    if not ei[k, K_REG]:
        ei[k, K_REG] = 1
        wait_for_item(S, b, k, 0)
