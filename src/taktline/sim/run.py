"""Run the twin: build the model of a plant, advance the clock, return the records."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from taktline.plant.orders import Order
from taktline.plant.schema import Plant
from taktline.sim.model import Model
from taktline.sim.records import RecordLog

__all__ = ["Run", "run_twin"]

Progress = Callable[[float, float], None]
"""Called as ``progress(simulated_now, horizon)`` while the twin runs."""


@dataclass(frozen=True)
class Run:
    """The outcome of one run of the twin: its records and how it was made."""

    plant: Plant
    seed: int
    horizon_s: float
    warmup_s: float
    records: RecordLog
    events: int
    wall_s: float
    released: int
    completed: int


def run_twin(
    plant: Plant,
    *,
    horizon_s: float,
    seed: int = 1,
    warmup_s: float = 0.0,
    orders: list[Order] | None = None,
    progress: Progress | None = None,
    record_buffers: bool = False,
    step_s: float = 3600.0,
) -> Run:
    """Simulate ``plant`` from empty for ``horizon_s`` seconds.

    ``warmup_s`` is only carried to the analysis (statistics start there); the twin
    records everything from time 0. With ``orders`` the vehicles enter in that
    sequence (and the source stops when it runs out); otherwise they are drawn from
    the plant's product mix.
    """
    start = time.perf_counter()
    model = Model(plant, seed, orders=orders, record_buffers=record_buffers)
    kernel = model.kernel
    model.begin()
    t = 0.0
    while t < horizon_s:
        t = min(t + step_s, horizon_s)
        kernel.run(t)
        if progress is not None:
            progress(t, horizon_s)
    model.finish()
    log = model.log
    return Run(
        plant=plant,
        seed=seed,
        horizon_s=horizon_s,
        warmup_s=warmup_s,
        records=log,
        events=kernel.events,
        wall_s=time.perf_counter() - start,
        released=len(log.table("release")),
        completed=len(log.table("dispatch")),
    )
