"""``taktline experiment``, ``optimize`` and ``capacity``: thin commands over
:mod:`taktline.experiment`. Bad input raises :class:`~taktline.errors.InputError`
(the main CLI prints one line and exits 2)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from taktline.analysis.stats import Interval
from taktline.experiment.capacity import (
    CapacityPlan,
    CapacitySettings,
    load_capacity_file,
    plan_capacity,
)
from taktline.experiment.design import kpi_known, load_scenario
from taktline.experiment.optimize import OptimizationResult, optimize
from taktline.experiment.results import ExperimentResult
from taktline.experiment.runner import run_experiment
from taktline.plant.units import format_duration

app = typer.Typer(help="Experiments: scenarios x replications, optimisation, capacity.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)

out = Console()
err = Console(stderr=True)

ScenarioArg = Annotated[Path, typer.Argument(help="Scenario YAML file (docs/experiments.md).")]
Workers = Annotated[int | None, typer.Option(help="Local worker processes (default: CPUs).",
                                             min=1)]
Dask = Annotated[str | None, typer.Option(
    help="Run on Dask: a scheduler address (tcp://host:8786) or 'local' for a LocalCluster.")]


@contextmanager
def progress_bar(label: str) -> Iterator[Callable[[int, int], None]]:
    """A Rich progress bar with time remaining, as a ``progress(done, total)`` callback."""
    with Progress(
        TextColumn(f"[bold]{label}[/]"), BarColumn(), MofNCompleteColumn(),
        TextColumn("runs"), TimeElapsedColumn(), TimeRemainingColumn(),
        console=err, transient=True, disable=not err.is_terminal,
    ) as bar:
        task = bar.add_task(label, total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield progress


def _ci(i: Interval, digits: int = 2) -> str:
    return f"{i.mean:.{digits}f} ± {i.half_width:.{digits}f}"


def print_experiment(result: ExperimentResult) -> None:
    """The per-scenario table (mean ± 95 % half-width) and the comparison with the base."""
    exp = result.experiment
    kpis = list(exp.spec.kpis)
    table = Table(title=f"{exp.name}: {len(exp.scenarios)} scenarios x "
                        f"{exp.spec.replications} replications, mean ± 95 % half-width")
    table.add_column("scenario", no_wrap=True)
    for k in kpis:
        table.add_column(k, justify="right", overflow="fold")
    for s in exp.scenarios:
        mark = " (base)" if s.name == exp.base else ""
        table.add_row(s.name + mark, *(_ci(result.interval(s.name, k)) for k in kpis))
    out.print(table)
    kpi = exp.spec.objective.kpi
    comp = Table(title=f"{kpi} against the base {exp.base!r}: paired differences "
                       "(common random numbers, Bonferroni)")
    for col in ("rank", "scenario", "difference", "verdict"):
        comp.add_column(col, justify="right" if col in ("rank", "difference") else "left",
                        no_wrap=col == "scenario")
    for c in result.comparisons(kpi):
        comp.add_row(str(c.rank), c.scenario, _ci(c.difference), c.verdict)
    out.print(comp)
    w = result.warmup
    out.print(f"warm-up {format_duration(w.seconds)} ({w.method}); runs done {result.ran}, "
              f"reused {result.reused}; {result.wall_s:.1f} s on {result.backend}")


@app.command("experiment")
def experiment_cmd(
    scenario: ScenarioArg,
    workers: Workers = None,
    dask: Dask = None,
    out_dir: Annotated[Path | None, typer.Option(
        "--out", help="Results folder (default: results/<scenario file name>).")] = None,
) -> None:
    """Run every scenario x replication; write tables (Parquet, CSV) and report.html."""
    exp = load_scenario(scenario)
    folder = out_dir or Path("results") / scenario.stem
    with progress_bar(exp.name) as progress:
        result = run_experiment(exp, workers=workers, dask=dask, out=folder, progress=progress)
    print_experiment(result)
    out.print(f"results in {folder}/ (results.parquet, results.csv, report.html)")


def print_optimization(r: OptimizationResult) -> None:
    """The best trials, the best configuration and its confirmation with fresh seeds."""
    ok = sorted((t for t in r.trials if t.interval), reverse=r.direction == "maximize",
                key=lambda t: t.interval.mean if t.interval else 0.0)
    table = Table(title=f"Best trials ({r.direction} {r.kpi}; {len(ok)} run, "
                        f"{len(r.trials) - len(ok)} refused by constraints or the plant)")
    for col in ("trial", "configuration", r.kpi):
        table.add_column(col, justify="right" if col != "configuration" else "left")
    for t in ok[:5]:
        assert t.interval is not None
        table.add_row(str(t.number), _values(t.values), _ci(t.interval))
    out.print(table)
    out.print(f"[bold]best configuration:[/] {_values(r.best.values)}")
    out.print(f"  in the search (seeds {_seeds(r.seeds)}): "
              f"{r.kpi} {_ci(r.best.interval) if r.best.interval else '-'}")
    out.print(f"  confirmed with fresh seeds {_seeds(r.fresh_seeds)}: {r.kpi} "
              f"{_ci(r.confirmation)} (95 %), base {_ci(r.base_confirmation)}, "
              f"difference {_ci(r.difference)}"
              f"{' (significant)' if r.difference.excludes_zero else ' (not significant)'}")


def _values(values: dict[str, object]) -> str:
    return ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
                     for k, v in values.items())


def _seeds(seeds: list[int]) -> str:
    return f"{seeds[0]}-{seeds[-1]}" if len(seeds) > 1 else str(seeds[0])


@app.command("optimize")
def optimize_cmd(
    scenario: ScenarioArg,
    objective: Annotated[str | None, typer.Option(
        help="KPI to optimise (default: the scenario file's objective).")] = None,
    budget: Annotated[int | None, typer.Option(
        help="Trials to run (default: optimize.budget).", min=1)] = None,
    workers: Workers = None,
    dask: Dask = None,
    out_dir: Annotated[Path | None, typer.Option(
        "--out", help="Folder for the finished runs (resumable).")] = None,
) -> None:
    """Search the factors with Optuna; confirm the best with fresh seeds."""
    exp = load_scenario(scenario)
    if objective is not None and not kpi_known(objective, exp.base_plant):
        raise exp.error(("objective", "kpi"), f"unknown KPI {objective!r} (from --objective)")
    with progress_bar(f"optimize {exp.name}") as progress:
        result = optimize(exp, objective=objective, budget=budget, workers=workers, dask=dask,
                          out=out_dir, progress=progress)
    print_optimization(result)


def print_capacity(plan: CapacityPlan, figures: list[tuple[str, int, str]],
                   sources: dict[str, str] | None = None) -> None:
    """The plant's yearly output and the plants needed for each figure."""
    y = plan.yearly
    out.print(
        f"[bold]{plan.plant}[/]: {_ci(plan.jph)} JPH over {plan.replications} replications "
        f"of {plan.days:g} simulated days (after {format_duration(plan.warmup_s)} warm-up), "
        f"scaled to {plan.hours_per_year:,.0f} h a year: {y.mean:,.0f} ± {y.half_width:,.0f} "
        f"vehicles a year (95 %)"
    )
    table = Table(title="Plants like this one needed")
    for col in ("figure", "vehicles a year", "plants", "95 % range"):
        table.add_column(col, justify="left" if col == "figure" else "right")
    for label, units, _ in figures:
        n = plan.plants_for(units)
        high = str(n.high) if n.high is not None else "inf"
        table.add_row(label, f"{units:,}", str(n.estimate), f"{n.low}-{high}")
    out.print(table)
    for key, text in (sources or {}).items():
        users = [label.split(" ")[0] for label, _, src in figures if src == key]
        if users:
            out.print(f"[dim]{', '.join(users)}: {' '.join(text.split())}[/]")


@app.command("capacity")
def capacity_cmd(
    target: Annotated[int | None, typer.Option(help="Vehicles a year to build.", min=1)] = None,
    plant: Annotated[str | None, typer.Option(
        help="Plant YAML or bundled plant (default: the reference plant).")] = None,
    file: Annotated[Path | None, typer.Option(
        help="Capacity file with published figures (e.g. examples/chongqing.yaml).")] = None,
    days: Annotated[float | None, typer.Option(help="Simulated days per replication.",
                                               min=0.01)] = None,
    replications: Annotated[int | None, typer.Option(min=2)] = None,
    hours_per_year: Annotated[float | None, typer.Option(
        help="Operating hours a year (8760 = around the clock).", min=1, max=8784)] = None,
    workers: Workers = None,
    dask: Dask = None,
) -> None:
    """How many plants like this one it takes to build TARGET vehicles a year."""
    settings, figures, plant_ref = CapacitySettings(), [], plant
    sources: dict[str, str] = {}
    if file is not None:
        spec, where = load_capacity_file(file)
        settings, plant_ref, sources = spec.run, plant or str(where), dict(spec.sources)
        figures = [(f"{f.id} ({f.what})", f.units, f.source) for f in spec.figures]
    if target is not None:
        figures.insert(0, ("--target", target, ""))
    if not figures:
        raise typer.BadParameter("give --target UNITS or --file FILE", param_hint="--target")
    changes = {k: v for k, v in (("days", days), ("replications", replications),
                                 ("hours_per_year", hours_per_year)) if v is not None}
    settings = settings.model_copy(update=changes)
    with progress_bar("capacity") as progress:
        plan = plan_capacity(plant_ref, settings=settings, workers=workers, dask=dask,
                             progress=progress)
    print_capacity(plan, figures, sources)
