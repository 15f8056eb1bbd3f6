"""Search the factor space with Optuna, on the experiment runner (so also on Dask).

Each trial is a scenario: Optuna's TPE sampler proposes factor values (a factor with
``values`` is categorical; with ``low``/``high`` it is a range, whole numbers with
``integer: true``); the runner evaluates it over the experiment's replications with the
experiment's seeds (common random numbers, so trials are compared on the same luck).
A proposal that breaks a constraint of the scenario file, or makes the plant invalid,
is not run: it is told to Optuna as pruned and does not count against the budget.
Trials are proposed in batches (one per worker by default) so a batch runs in parallel.

The best trial's mean is optimistic (it won a selection among noisy means), so the
best configuration is run again with fresh seeds, together with the base scenario,
and reported with its confidence interval and its paired difference to the base.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from taktline.analysis.stats import Interval, mean_ci, paired_ci
from taktline.experiment.backends import Backend, open_backend
from taktline.experiment.design import Experiment, Scenario, level_value, load_scenario
from taktline.experiment.factors import InvalidPlant
from taktline.experiment.results import WarmupInfo
from taktline.experiment.runner import (
    Counter,
    Progress,
    execute,
    find_warmup,
    pilot_count,
    scenario_tasks,
)
from taktline.experiment.spec import Factor
from taktline.experiment.store import RunStore
from taktline.experiment.tasks import higher_is_better, kpi_of

__all__ = ["OptimizationResult", "Trial", "optimize"]

_PRIMITIVE = (bool, int, float, str)


@dataclass(frozen=True)
class Trial:
    """One proposal: its factor values and, if it ran, the objective's interval."""

    number: int
    values: dict[str, Any]
    interval: Interval | None
    status: str  # "ok", "infeasible" (a constraint) or "invalid: <plant rule>"


@dataclass(frozen=True)
class OptimizationResult:
    """The search, the best configuration, and its confirmation with fresh seeds."""

    kpi: str
    direction: str
    trials: list[Trial]
    best: Trial
    seeds: list[int]
    fresh_seeds: list[int]
    confirmation: Interval
    base_confirmation: Interval
    difference: Interval
    warmup: WarmupInfo
    wall_s: float

    def frame(self) -> pd.DataFrame:
        """One row per trial: number, status, factor values, mean and half-width."""
        return pd.DataFrame([
            {"trial": t.number, "status": t.status, **t.values,
             "mean": t.interval.mean if t.interval else None,
             "half_width": t.interval.half_width if t.interval else None}
            for t in self.trials
        ])


def _suggest(trial: Any, name: str, factor: Factor) -> Any:
    if factor.values is not None:
        if all(isinstance(v, _PRIMITIVE) for v in factor.values):
            return trial.suggest_categorical(name, list(factor.values))
        index = trial.suggest_categorical(name, list(range(len(factor.values))))
        return factor.values[index]
    assert factor.low is not None and factor.high is not None
    if factor.integer:
        return trial.suggest_int(name, int(factor.low), int(factor.high))
    return trial.suggest_float(name, factor.low, factor.high)


def _feasible(exp: Experiment, values: Mapping[str, Any]) -> bool:
    base = exp.scenario(exp.base).levels
    return all(
        c.holds(sum(float(level_value(values.get(f, base[f]))) for f in c.sum))
        for c in exp.spec.constraints
    )


@contextmanager
def _quiet_optuna() -> Iterator[Any]:
    import optuna

    before = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        yield optuna
    finally:
        optuna.logging.set_verbosity(before)


class _Search:
    """The ask-run-tell loop over one backend."""

    def __init__(self, exp: Experiment, backend: Backend, store: RunStore | None,
                 counter: Counter, warmup: WarmupInfo, kpi: str) -> None:
        self.exp, self.backend, self.store, self.counter = exp, backend, store, counter
        self.warmup, self.kpi = warmup, kpi
        self.cache: dict[str, dict[str, Any]] = {}
        self.trials: list[Trial] = []

    def evaluate(self, scenarios: list[Scenario], seeds: list[int] | None = None
                 ) -> dict[str, list[float]]:
        tasks = scenario_tasks(self.exp, scenarios, self.warmup.seconds, seeds)
        runs = execute(tasks, self.backend, self.store, self.counter, self.cache)
        out: dict[str, list[float]] = {s.name: [] for s in scenarios}
        for r in runs:
            out[r["scenario"]].append(kpi_of(r, self.kpi))
        return out

    def propose(self, study: Any, optuna: Any, wanted: int, limit: int
                ) -> list[tuple[Any, Scenario]]:
        batch: list[tuple[Any, Scenario]] = []
        while len(batch) < wanted and len(self.trials) + len(batch) < limit:
            trial = study.ask()
            values = {f: _suggest(trial, f, fac) for f, fac in self.exp.spec.factors.items()}
            status = "ok" if _feasible(self.exp, values) else "infeasible"
            if status == "ok":
                try:
                    batch.append((trial, self.exp.build(f"trial{trial.number:03d}", values)))
                    continue
                except InvalidPlant as exc:
                    status = f"invalid: {exc}"
            study.tell(trial, state=optuna.trial.TrialState.PRUNED)
            self.trials.append(Trial(trial.number, values, None, status))
        return batch


def optimize(
    scenario: Experiment | str | Path,
    *,
    objective: str | None = None,
    budget: int | None = None,
    workers: int | None = None,
    dask: str | None = None,
    out: str | Path | None = None,
    progress: Progress | None = None,
) -> OptimizationResult:
    """Search the scenario file's factors for the best ``objective`` KPI in ``budget``
    evaluated trials; then confirm the best with fresh seeds against the base."""
    exp = scenario if isinstance(scenario, Experiment) else load_scenario(scenario)
    spec = exp.spec
    if not spec.factors:
        raise exp.error(("factors",), "optimize needs at least one factor")
    kpi = objective or spec.objective.kpi
    direction = spec.objective.direction or ("maximize" if higher_is_better(kpi) else "minimize")
    n = budget or spec.optimize.budget
    seeds = [spec.seed_of(k) for k in range(1, spec.replications + 1)]
    m = spec.optimize.confirm_replications or spec.replications
    fresh = [max(seeds) + k for k in range(1, m + 1)]
    counter = Counter(pilot_count(exp) + n * len(seeds) + 2 * m, progress)
    store = RunStore(out) if out is not None else None
    start = time.perf_counter()
    with open_backend(workers, dask) as backend, _quiet_optuna() as optuna:
        warm = find_warmup(exp, backend, store, counter)
        search = _Search(exp, backend, store, counter, warm, kpi)
        study = optuna.create_study(
            direction=direction, sampler=optuna.samplers.TPESampler(seed=spec.optimize.seed))
        best = _loop(search, study, optuna, n, spec.optimize.batch or backend.workers)
        chosen = exp.build("best", best.values)
        confirm = search.evaluate([chosen, exp.scenario(exp.base)], fresh)
    return OptimizationResult(
        kpi=kpi, direction=direction, trials=search.trials, best=best, seeds=seeds,
        fresh_seeds=fresh, confirmation=mean_ci(confirm["best"]),
        base_confirmation=mean_ci(confirm[exp.base]),
        difference=paired_ci(confirm["best"], confirm[exp.base]), warmup=warm,
        wall_s=time.perf_counter() - start,
    )


def _loop(search: _Search, study: Any, optuna: Any, budget: int, batch: int) -> Trial:
    done = 0
    limit = budget * 50  # proposals, feasible or not: a search that only hits walls stops
    while done < budget and len(search.trials) < limit:
        proposals = search.propose(study, optuna, min(batch, budget - done), limit)
        if not proposals:
            break
        values = search.evaluate([s for _, s in proposals])
        for trial, scen in proposals:
            ci = mean_ci(values[scen.name])
            study.tell(trial, ci.mean)
            search.trials.append(Trial(trial.number, dict(scen.values), ci, "ok"))
        done += len(proposals)
    search.trials.sort(key=lambda t: t.number)
    ok = [t for t in search.trials if t.interval is not None]
    if not ok:
        raise search.exp.error(("constraints",), "no feasible trial found: every proposal "
                                                 "broke a constraint or made the plant invalid")
    sign = 1.0 if study.direction == optuna.study.StudyDirection.MAXIMIZE else -1.0
    return max(ok, key=lambda t: (sign * t.interval.mean if t.interval else 0.0, -t.number))
