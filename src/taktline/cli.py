"""The ``taktline`` command: a thin shell over the public API.

Each command parses its arguments, calls one public function and formats the typed
result. Bad input (any :class:`taktline.errors.InputError`) prints one line naming the
file, line, field and rule, and exits with code 2 - never a traceback.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from taktline.analysis.kpis import KpiReport
from taktline.errors import InfeasibleError, InputError, TaktlineError
from taktline.plant.load import bundled_plants, load_plant
from taktline.plant.units import format_duration
from taktline.simulate import simulate as run_simulation

app = typer.Typer(
    name="taktline",
    help="Digital twin and lights-out operations for automotive plants.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
plant_app = typer.Typer(help="Inspect plant descriptions.", no_args_is_help=True)
app.add_typer(plant_app, name="plant")

out = Console()
err = Console(stderr=True)

PlantArg = Annotated[
    str | None,
    typer.Argument(help="Plant YAML file or bundled plant name (default: the reference plant)."),
]


@app.command()
def simulate(
    plant: PlantArg = None,
    days: Annotated[float, typer.Option(help="Measured days after the warm-up.", min=0.01)] = 7.0,
    warmup_hours: Annotated[
        float, typer.Option(help="Warm-up excluded from statistics.", min=0)
    ] = 8.0,
    seed: Annotated[int, typer.Option(help="Root seed of every random stream.")] = 1,
    sequence: Annotated[Path | None, typer.Option(help="CSV of vehicles in release order.")] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the KPIs as JSON.")] = None,
    report: Annotated[
        Path | None, typer.Option(help="Write an HTML report with figures.")
    ] = None,
    stations: Annotated[bool, typer.Option(help="Also print every station.")] = False,
) -> None:
    """Simulate a plant and report throughput, takt, OEE, bottleneck, lead time and WIP."""
    from taktline.sim.engine import engine_cached

    if not engine_cached():
        err.print("compiling the simulation engine (first run on this machine, about a "
                  "minute; later runs start at once) ...")
    with Progress(
        TextColumn("[bold]simulating[/] {task.description}"),
        BarColumn(),
        TextColumn("{task.fields[simtime]}"),
        TimeRemainingColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    ) as bar:
        task = bar.add_task(str(plant or "reference plant"), total=1.0, simtime="")

        def progress(now: float, horizon: float) -> None:
            bar.update(task, completed=now / horizon, simtime=f"day {now / 86400:.1f}")

        result = run_simulation(
            plant,
            days=days,
            warmup_hours=warmup_hours,
            seed=seed,
            sequence=sequence,
            progress=progress,
        )
    print_report(result.kpis, stations=stations)
    if json_out is not None:
        json_out.write_text(json.dumps(result.kpis.to_dict(), indent=2) + "\n", encoding="utf-8")
        out.print(f"KPIs written to {json_out}")
    if report is not None:
        from taktline.analysis.report import write_run_report

        write_run_report(result, report)
        out.print(f"report written to {report}")


def print_report(k: KpiReport, stations: bool = False) -> None:
    """Print a run's KPIs as tables."""
    f = k.flow
    days = k.window.length / 86400
    head = Table(title=f"{k.plant}: {days:g} days measured, seed {k.seed}", show_header=False)
    head.add_column(style="bold")
    head.add_column(justify="right")
    rows = [
        ("vehicles completed", f"{f.vehicles_completed:,}"),
        ("throughput", f"{f.throughput_jph:.2f} JPH"),
        ("designed takt", f"{k.takt_s:g} s ({3600 / k.takt_s:.1f} JPH)"),
        ("of designed rate", f"{k.design_rate_share:.1%}"),
        ("takt attainment", f"{f.takt_attainment:.1%}"),
        (
            "inter-departure mean / p95",
            f"{f.mean_interdeparture_s:.1f} s / {f.p95_interdeparture_s:.1f} s",
        ),
        (
            "lead time mean / p95",
            f"{format_duration(f.lead_time_mean_s)} / {format_duration(f.lead_time_p95_s)}",
        ),
        ("WIP (mean vehicles)", f"{f.wip_mean:.1f}"),
        ("OEE plant (A x E x Q)", _oee(k.oee_plant)),
        ("robots", f"{k.robots}"),
        ("colour purges / overloads", f"{k.colour_purges:,} / {k.overloads:,}"),
    ]
    for name, value in rows:
        head.add_row(name, value)
    out.print(head)
    shops = Table(title="OEE per shop (ISO 22400-2)")
    for col in ("shop", "OEE", "availability", "effectiveness", "quality"):
        shops.add_column(col, justify="left" if col == "shop" else "right")
    for shop, o in k.oee_shops.items():
        shops.add_row(
            shop,
            f"{o.oee:.1%}",
            f"{o.availability:.1%}",
            f"{o.effectiveness:.1%}",
            f"{o.quality:.1%}",
        )
    out.print(shops)
    _print_bottlenecks(k)
    if stations:
        _print_stations(k)
    if k.agvs:
        agv = Table(title="AGV fleets")
        for col in ("fleet", "size", "transports", "busy", "mean transport"):
            agv.add_column(col, justify="right")
        for a in k.agvs:
            agv.add_row(
                a.fleet,
                str(a.size),
                f"{a.transports:,}",
                f"{a.busy_share:.1%}",
                f"{a.mean_transport_s:.0f} s",
            )
        out.print(agv)


def _oee(o: Any) -> str:
    return f"{o.oee:.1%} = {o.availability:.1%} x {o.effectiveness:.1%} x {o.quality:.1%}"


def _print_bottlenecks(k: KpiReport) -> None:
    table = Table(title="Bottleneck (active period method: sole + shifting share of time)")
    for col in ("station", "sole", "shifting", "mean active period"):
        table.add_column(col, justify="left" if col == "station" else "right")
    for b in k.bottlenecks[:5]:
        table.add_row(
            b.station,
            f"{b.sole_share:.1%}",
            f"{b.shifting_share:.1%}",
            format_duration(b.mean_active_s),
        )
    out.print(table)
    if k.bottleneck is not None:
        out.print(f"[bold]Bottleneck:[/] {k.bottleneck.station}")


def _print_stations(k: KpiReport) -> None:
    table = Table(title="Stations")
    cols = ("station", "shop", "robots", "working", "blocked", "starved", "failed", "setup", "OEE")
    for col in cols:
        table.add_column(col, justify="left" if col in ("station", "shop") else "right")
    for s in k.stations:
        table.add_row(
            s.id,
            s.shop,
            str(s.robots),
            *(f"{s.shares[n]:.1%}" for n in ("working", "blocked", "starved", "failed", "setup")),
            f"{s.oee.oee:.1%}",
        )
    out.print(table)


@plant_app.command("show")
def plant_show(plant: PlantArg = None) -> None:
    """Print a plant's structure: shops, stations, robots by type, buffers, AGVs."""
    p = load_plant(plant)
    out.print(
        f"[bold]{p.name}[/]  takt {p.takt:g} s, {len(p.stations)} stations, "
        f"{len(p.buffers)} buffers, {p.robot_count} robots"
    )
    if p.description:
        out.print(p.description.strip())
    table = Table(title="Shops")
    for col in ("shop", "stations", "servers", "robots", "buffer places"):
        table.add_column(col, justify="left" if col == "shop" else "right")
    for shop in p.shops:
        sts = [s for s in p.stations if s.shop == shop.id]
        bufs = [b for b in p.buffers if b.shop == shop.id]
        table.add_row(
            shop.name or shop.id,
            str(len(sts)),
            str(sum(s.servers for s in sts)),
            str(sum(s.robot_count for s in sts)),
            str(sum(b.capacity or 0 for b in bufs)),
        )
    out.print(table)
    robots = Table(title="Robots by type")
    robots.add_column("type")
    robots.add_column("count", justify="right")
    for kind, n in p.robots_by_type().items():
        robots.add_row(kind, str(n))
    out.print(robots)
    for fleet in p.fleets:
        out.print(
            f"AGV fleet [bold]{fleet.id}[/]: {fleet.size} vehicles at {fleet.speed:g} m/s, "
            f"{len(fleet.network.nodes)} nodes, {len(fleet.network.edges)} edges, "
            f"{len(fleet.moves)} moves"
        )


@plant_app.command("list")
def plant_list() -> None:
    """List the bundled plants."""
    for name in bundled_plants():
        p = load_plant(name)
        out.print(f"{name:20s} {p.name}: {len(p.stations)} stations, {p.robot_count} robots")


@plant_app.command("check")
def plant_check(plant: Annotated[str, typer.Argument(help="Plant YAML file.")]) -> None:
    """Validate a plant file; prints every problem found (exit code 2 if any)."""
    try:
        p = load_plant(plant)
    except InputError as exc:
        for problem in exc.problems or [exc]:
            print(problem, file=sys.stderr)
        raise typer.Exit(2) from None
    out.print(f"{plant}: valid ({len(p.stations)} stations, {p.robot_count} robots)")


def _mount_subcommands() -> None:
    """Mount the sub-apps: ``taktline sequence ...`` as a group; the commands of the
    experiment app (experiment, optimize, capacity) and of the serve app at the top
    level. The service's app is imported only when installed with its extras."""
    import importlib.util

    from taktline.commands import experiment, sequence

    if not any(g.name == "sequence" for g in app.registered_groups):
        app.add_typer(sequence.app, name="sequence")
    if not any(g.name == "fleet" for g in app.registered_groups):
        from taktline.commands import fleet

        app.add_typer(fleet.app, name="fleet")
    apps = [experiment.app]
    if importlib.util.find_spec("fastapi") is not None:
        from taktline.commands import serve

        apps.append(serve.app)
    names = {c.name for c in app.registered_commands}
    for sub in apps:
        for cmd in sub.registered_commands:
            name = cmd.name or (cmd.callback.__name__ if cmd.callback else None)
            if name not in names:
                app.registered_commands.append(cmd)
                names.add(name)


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI, turning input errors into one line and exit code 2."""
    _mount_subcommands()
    try:
        rc = app(args=argv, standalone_mode=False)
    except (InputError, InfeasibleError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except TaktlineError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except typer.Exit as exc:
        return int(exc.exit_code or 0)
    except typer.Abort:
        err.print("aborted")
        return 1
    except typer.TyperException as exc:  # usage errors (bad option values ...)
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            print(f"error: {exc}", file=sys.stderr)
        return 2
    return rc if isinstance(rc, int) else 0


if __name__ == "__main__":
    sys.exit(main())
