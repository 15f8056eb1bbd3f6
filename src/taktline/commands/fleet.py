"""``taktline fleet size`` and ``taktline fleet check``: thin commands over
:mod:`taktline.experiment.fleet_size` and :func:`taktline.analysis.fleet.check_fleet`."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from taktline.analysis.fleet import FleetCheck, check_fleet
from taktline.commands.experiment import Workers, progress_bar
from taktline.experiment.fleet_size import FleetSizing, size_fleet
from taktline.plant.load import load_plant
from taktline.sim.run import run_twin

app = typer.Typer(help="AGV fleets: sizing and the safety check.", no_args_is_help=True,
                  add_completion=False, pretty_exceptions_enable=False)
out = Console()


def print_sizing(s: FleetSizing) -> None:
    """The table of sizes and the answer, with the rule it follows."""
    table = Table(title=f"{s.plant}: fleet {s.fleet}, design rate {s.design_jph:.2f} JPH")
    for col in ("AGVs", "JPH (95 % CI)", "low / design", "holds takt"):
        table.add_column(col, justify="right")
    for row in s.sizes:
        ci = row.jph
        table.add_row(str(row.size), f"{ci.mean:.2f} ± {ci.half_width:.2f}",
                      f"{ci.low / s.design_jph:.1%}", "yes" if row.holds else "no")
    out.print(table)
    rule = (f"rule: lower 95 % bound of JPH >= {s.attainment:.0%} of the design rate, "
            f"{s.replications} replications of {s.days:g} days")
    if s.smallest is None:
        out.print(f"no fleet size in the range holds the takt ({rule})")
    else:
        out.print(f"smallest fleet that holds the takt: [bold]{s.smallest}[/] AGVs ({rule})")


@app.command("size")
def size_cmd(
    plant: Annotated[str | None, typer.Argument(
        help="Plant YAML or bundled plant (default: the reference plant).")] = None,
    fleet: Annotated[str | None, typer.Option(help="Fleet id (default: the first).")] = None,
    min_size: Annotated[int, typer.Option("--min", min=1, help="Smallest fleet tried.")] = 1,
    max_size: Annotated[int, typer.Option("--max", min=1, help="Largest fleet tried.")] = 10,
    replications: Annotated[int, typer.Option(min=2)] = 5,
    days: Annotated[float, typer.Option(min=0.01, help="Measured days per run.")] = 2.0,
    warmup: Annotated[float, typer.Option(min=0, help="Warm-up hours.")] = 8.0,
    attainment: Annotated[float, typer.Option(
        min=0.01, max=1.0, help="Share of the design rate the lower CI bound must reach.")] = 0.95,
    workers: Workers = None,
) -> None:
    """The smallest AGV fleet that holds the designed takt, with 95 % intervals."""
    if max_size < min_size:
        raise typer.BadParameter(f"--max {max_size} is below --min {min_size}",
                                 param_hint="--max")
    with progress_bar("fleet size") as progress:
        s = size_fleet(plant, fleet=fleet, sizes=range(min_size, max_size + 1),
                       replications=replications, days=days, warmup=warmup * 3600.0,
                       attainment=attainment, workers=workers, progress=progress)
    print_sizing(s)


def print_check(c: FleetCheck, days: float) -> None:
    """What was checked, what was found (the first conflicts by name), the verdict."""
    r = c.report
    out.print(f"fleet [bold]{c.fleet}[/]: {c.agvs} AGVs, {days:g} days, {c.transports:,} "
              f"transports, {c.visits:,} node visits checked")
    out.print(f"  node or edge conflicts: {len(r.conflicts)}")
    for x in r.conflicts[:5]:
        name = c.nodes[x.resource] if x.kind == "node" else c.edges[x.resource]
        out.print(f"    {x.kind} {name}: AGV {x.first[0]} {x.first[1]:.1f}-{x.first[2]:.1f} s, "
                  f"AGV {x.second[0]} {x.second[1]:.1f}-{x.second[2]:.1f} s")
    out.print(f"  drops due an hour before the end: {c.drops_checked:,}, "
              f"never done: {len(r.unfinished)}")
    out.print(f"  AGVs whose route ends off their parking node: {len(r.stuck)}")
    out.print("[bold green]safe[/]: no collision, no deadlock" if r.ok
              else "[bold red]NOT SAFE[/]")


@app.command("check")
def check_cmd(
    plant: Annotated[str | None, typer.Argument(
        help="Plant YAML or bundled plant (default: the reference plant).")] = None,
    fleet: Annotated[str | None, typer.Option(help="Fleet id (default: the first).")] = None,
    days: Annotated[float, typer.Option(min=0.01, help="Simulated days.")] = 7.0,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 1,
) -> None:
    """Simulate the plant and check its reserved AGV fleet: no two AGVs on one node or
    edge at once, no deadlock (exit code 1 if the check fails)."""
    p = load_plant(plant)
    run = run_twin(p, horizon_s=days * 86400.0, seed=seed)
    c = check_fleet(run, fleet)
    print_check(c, days)
    if not c.report.ok:
        raise typer.Exit(1)
