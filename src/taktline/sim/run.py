"""Run the twin: build the model of a plant, advance the clock, return the records.

Two engines give the same records, bit for bit: ``"compiled"`` (the default, numba; see
:mod:`taktline.sim.engine`) and ``"reference"`` (plain Python objects and a heap; the
readable model the compiled one is checked against).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from taktline.plant.orders import Order
from taktline.plant.schema import Plant
from taktline.sim.model import Model
from taktline.sim.records import RecordLog

__all__ = ["ENGINES", "Engine", "Run", "run_twin"]

Progress = Callable[[float, float], None]
"""Called as ``progress(simulated_now, horizon)`` while the twin runs."""

Engine = Literal["compiled", "reference"]
ENGINES: tuple[Engine, ...] = ("compiled", "reference")


@dataclass(frozen=True)
class Run:
    """The outcome of one run of the twin: its records and how it was made.

    ``released`` and ``completed`` count the vehicles released and dispatched before
    the horizon, in the half-open window [0, horizon) that the KPIs use too (the records
    also hold what happens at the horizon's very instant). ``wall_s`` includes building
    the model; ``compile_s`` is the part of it spent compiling the compiled engine or
    loading it from numba's cache (0 once a process has it, and always 0 for the
    reference engine)."""

    plant: Plant
    seed: int
    horizon_s: float
    warmup_s: float
    records: RecordLog
    events: int
    wall_s: float
    released: int
    completed: int
    engine: Engine = "compiled"
    compile_s: float = 0.0


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
    engine: Engine = "compiled",
) -> Run:
    """Simulate ``plant`` from empty for ``horizon_s`` seconds.

    ``warmup_s`` is only carried to the analysis (statistics start there); the twin
    records everything from time 0. With ``orders`` the vehicles enter in that
    sequence (and the source stops when it runs out); otherwise they are drawn from
    the plant's product mix. ``engine`` picks the compiled engine (default) or the
    Python reference engine; both give the same records (a fleet with ``routing:
    reserved`` included: both take its decisions in ``plan.dispatch``).
    """
    start = time.perf_counter()
    if engine == "compiled":
        from taktline.sim.engine import run_compiled

        out = run_compiled(plant, horizon_s=horizon_s, seed=seed, orders=orders,
                           progress=progress, record_buffers=record_buffers, step_s=step_s)
        log, events, compile_s = out.log, out.events, out.compile_s
    elif engine == "reference":
        log, events = _run_reference(plant, horizon_s, seed, orders, progress,
                                     record_buffers, step_s)
        compile_s = 0.0
    else:
        raise ValueError(f"engine must be one of {ENGINES} (got {engine!r})")
    return Run(
        plant=plant,
        seed=seed,
        horizon_s=horizon_s,
        warmup_s=warmup_s,
        records=log,
        events=events,
        wall_s=time.perf_counter() - start,
        released=_before(log, "release", horizon_s),
        completed=_before(log, "dispatch", horizon_s),
        engine=engine,
        compile_s=compile_s,
    )


def _before(log: RecordLog, kind: str, horizon_s: float) -> int:
    """Records of one kind (release, dispatch) made before the horizon."""
    return int(np.count_nonzero(log.table(kind).column("time") < horizon_s))


def _run_reference(
    plant: Plant,
    horizon_s: float,
    seed: int,
    orders: list[Order] | None,
    progress: Progress | None,
    record_buffers: bool,
    step_s: float,
) -> tuple[RecordLog, int]:
    """The Python engine: the model's objects and the kernel's heap."""
    model = Model(plant, seed, orders=orders, record_buffers=record_buffers)
    kernel = model.kernel
    model.begin()
    t = 0.0
    while t < horizon_s:
        t = min(t + step_s, horizon_s)
        kernel.run(t)
        if progress is not None:
            progress(t, horizon_s)
    model.finish(horizon_s)
    return model.log, kernel.events
