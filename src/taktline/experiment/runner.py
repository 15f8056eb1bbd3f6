"""Run every scenario x replication of an experiment, on any backend, resumably.

Replication k of every scenario uses the same seed (common random numbers), so the
differences between scenarios are paired and the comparisons in
:mod:`taktline.analysis.stats` are sharp. Finished replications are stored in
``OUT/runs/`` as they complete and are skipped when the experiment is run again.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from taktline.analysis.stats import mser
from taktline.experiment.backends import Backend, open_backend
from taktline.experiment.design import Experiment, Scenario, load_scenario
from taktline.experiment.results import ExperimentResult, WarmupInfo
from taktline.experiment.spec import Mser5
from taktline.experiment.store import RunStore
from taktline.experiment.tasks import Task, make_task

__all__ = [
    "Counter",
    "Progress",
    "detect_warmup",
    "execute",
    "find_warmup",
    "pilot_count",
    "run_experiment",
    "scenario_tasks",
]

Progress = Callable[[int, int], None]
"""Called as ``progress(done, total)`` after each replication (stored ones count too)."""


class Counter:
    """Counts finished tasks for the progress callback."""

    def __init__(self, total: int, progress: Progress | None) -> None:
        self.total, self.done, self.progress = total, 0, progress
        self.ran = self.reused = 0

    def tick(self, reused: bool) -> None:
        self.done += 1
        if reused:
            self.reused += 1
        else:
            self.ran += 1
        if self.progress is not None:
            self.progress(self.done, self.total)


def execute(
    tasks: Sequence[Task],
    backend: Backend,
    store: RunStore | None,
    counter: Counter,
    cache: dict[str, dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """Summaries of ``tasks`` in their order: stored (or cached) ones read back, the
    rest run on ``backend`` and stored as each one finishes."""
    found: dict[str, dict[str, Any]] = cache if cache is not None else {}
    pending: dict[str, Task] = {}
    for task in tasks:
        if task.key in found or task.key in pending:
            continue
        stored = store.get(task.key) if store is not None else None
        if stored is not None:
            found[task.key] = stored
        else:
            pending[task.key] = task
    for _ in range(len(tasks) - len(pending)):
        counter.tick(reused=True)
    for summary in backend.map(list(pending.values())):
        if store is not None:
            store.put(summary)
        found[summary["key"]] = summary
        counter.tick(reused=False)
    # the task decides the labels: two scenarios may share a plant (and so a key)
    return [
        {**found[t.key], "scenario": t.scenario, "replication": t.replication} for t in tasks
    ]


def scenario_tasks(
    exp: Experiment,
    scenarios: Iterable[Scenario],
    warmup_s: float,
    seeds: Sequence[int] | None = None,
) -> list[Task]:
    """One task per scenario x replication; replication k uses the same seed everywhere
    (the scenario file's seeds, or ``seeds``)."""
    spec = exp.spec
    chosen = list(seeds) if seeds is not None else [
        spec.seed_of(k) for k in range(1, spec.replications + 1)
    ]
    return [
        make_task(s.name, k, seed, s.plant, warmup_s + spec.run.length, warmup_s,
                  spec.run.step)
        for s in scenarios
        for k, seed in enumerate(chosen, start=1)
    ]


def _pilot_tasks(exp: Experiment, m: Mser5) -> list[Task]:
    base = exp.scenario(exp.base)
    return [
        make_task("pilot", k, exp.spec.seed_of(k), base.plant, exp.spec.run.length, 0.0,
                  exp.spec.run.step)
        for k in range(1, m.pilot_replications + 1)
    ]


def detect_warmup(exp: Experiment, pilots: list[dict[str, Any]], m: Mser5) -> WarmupInfo:
    """MSER-5 on the mean series of the pilot runs (ensemble average, step by step)."""
    series = np.mean([p[m.series] for p in pilots], axis=0)
    step = exp.spec.run.step
    try:
        cut = mser(series, 5)
    except ValueError as exc:
        raise exp.error(("run", "warmup"), f"MSER-5: {exc}; make run.length at least "
                                           f"10 steps of {step:g} s") from exc
    if not cut.reliable:
        raise exp.error(
            ("run", "warmup"),
            f"MSER-5 truncates {cut.observations * step / 3600:g} h of the "
            f"{len(series) * step / 3600:g} h pilot runs, past their middle: the runs are too "
            "short to reach a steady state; increase run.length",
        )
    return WarmupInfo(cut.observations * step, "mser5", cut, tuple(series.tolist()), m.series)


def find_warmup(
    exp: Experiment, backend: Backend, store: RunStore | None, counter: Counter
) -> WarmupInfo:
    """The fixed warm-up of the scenario file, or MSER-5 on pilot runs of the base."""
    w = exp.spec.run.warmup
    if not isinstance(w, Mser5):
        return WarmupInfo(float(w), "fixed")
    return detect_warmup(exp, execute(_pilot_tasks(exp, w), backend, store, counter), w)


def pilot_count(exp: Experiment) -> int:
    """How many pilot runs the warm-up detection needs (0 for a fixed warm-up)."""
    w = exp.spec.run.warmup
    return w.pilot_replications if isinstance(w, Mser5) else 0


def run_experiment(
    scenario: Experiment | str | Path,
    *,
    workers: int | None = None,
    dask: str | None = None,
    out: str | Path | None = None,
    progress: Progress | None = None,
    report: bool = True,
) -> ExperimentResult:
    """Run every scenario x replication of a scenario file (or loaded experiment).

    ``workers`` processes locally (default: the CPUs available), or Dask with ``dask``
    (a scheduler address, or ``"local"`` for a LocalCluster of ``workers`` processes).
    With ``out`` each finished replication is stored in ``out/runs/`` at once (a rerun
    skips it), and at the end the tables and ``report.html`` are written there.
    """
    exp = scenario if isinstance(scenario, Experiment) else load_scenario(scenario)
    start = time.perf_counter()
    store = RunStore(out) if out is not None else None
    n_main = len(exp.scenarios) * exp.spec.replications
    counter = Counter(pilot_count(exp) + n_main, progress)
    with open_backend(workers, dask) as backend:
        warm = find_warmup(exp, backend, store, counter)
        runs = execute(scenario_tasks(exp, exp.scenarios, warm.seconds), backend, store, counter)
        name = backend.name
    result = ExperimentResult(
        experiment=exp, runs=runs, warmup=warm, ran=counter.ran, reused=counter.reused,
        wall_s=time.perf_counter() - start, backend=name,
    )
    if out is not None:
        result.write(out, report=report)
    return result
