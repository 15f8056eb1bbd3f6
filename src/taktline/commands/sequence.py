"""``taktline sequence``: score and solve order sequencing instances.

``check INSTANCE SOLUTION`` prints the exact scores of a sequence; ``solve INSTANCE``
finds one, showing the best objective live as it improves. INSTANCE is a ROADEF 2005
folder, a CSPLib file, or (with ``--plant``) a plant's order CSV. Bad input prints one
line naming the file, line and field and exits with code 2.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import numpy as np
import typer
from rich.console import Console
from rich.live import Live
from rich.table import Table
from rich.text import Text

from taktline.errors import InfeasibleError, InputError, SequenceError
from taktline.plan.sequencing import (
    Improvement,
    Score,
    SequenceProblem,
    SequenceResult,
    evaluate,
    load_instance,
    orders_in_sequence,
    problem_from_orders,
    read_solution,
    solve_sequence,
    write_solution,
)
from taktline.plant.load import load_plant
from taktline.plant.orders import Order, load_sequence, write_sequence
from taktline.plant.schema import Plant

__all__ = ["app"]

app = typer.Typer(
    help="Order sequencing: paint colour changes and option-station overloads.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)

F = TypeVar("F", bound=Callable[..., Any])

PlantOpt = Annotated[
    str | None,
    typer.Option(help="Plant (bundled name or YAML file) whose orders are sequenced."),
]


def _clean_errors(func: F) -> F:
    """Bad input and infeasible problems: one line on stderr, exit code 2."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (InputError, InfeasibleError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


def _open(instance: Path, plant: Plant | None) -> tuple[SequenceProblem, list[Order] | None]:
    if plant is None:
        return load_instance(instance), None
    orders = load_sequence(instance, plant)
    return problem_from_orders(plant, orders, name=instance.stem), orders


def _plant_order(problem: SequenceProblem, orders: list[Order], path: Path,
                 plant: Plant) -> np.ndarray[Any, np.dtype[np.int64]]:
    """A plant sequence CSV as indices into ``orders`` (same vehicles, any order)."""
    solved = load_sequence(path, plant)
    index = {o.order_id: i for i, o in enumerate(orders)}
    unknown = [o.order_id for o in solved if o.order_id not in index]
    if unknown:
        raise SequenceError(f"order {unknown[0]!r} is not in {problem.name}", file=str(path),
                            field="order_id")
    if len(solved) != len(orders):
        raise SequenceError(f"{len(solved)} vehicles, but {problem.name} has {len(orders)}",
                            file=str(path))
    return np.array([index[o.order_id] for o in solved], dtype=np.int64)


def _score_table(problem: SequenceProblem, rows: list[tuple[str, Score]]) -> Table:
    title = (f"{problem.name}: {problem.n} vehicles, objective "
             f"{' > '.join(o.name for o in problem.objectives)}")
    table = Table(title=title)
    for col in ("sequence", "total", "HPRC", "PCC", "LPRC", "longest run", "batch limit"):
        table.add_column(col, justify="left" if col == "sequence" else "right")
    for name, s in rows:
        limit = "-" if s.batch_limit is None else str(s.batch_limit)
        status = f"{limit} ok" if s.feasible else f"{limit} BROKEN"
        table.add_row(name, f"{s.total:,}", str(s.hprc), str(s.pcc), str(s.lprc),
                      str(s.longest_run), status)
    return table


@app.command()
@_clean_errors
def check(
    instance: Annotated[Path, typer.Argument(help="ROADEF folder, CSPLib file or order CSV.")],
    solution: Annotated[Path, typer.Argument(help="Solution file (or sequence CSV).")],
    plant: PlantOpt = None,
) -> None:
    """Print the exact scores of SOLUTION for INSTANCE (exit 1 if the batch limit breaks)."""
    p = load_plant(plant) if plant is not None else None
    problem, orders = _open(instance, p)
    if p is not None and orders is not None:
        order = _plant_order(problem, orders, solution, p)
    else:
        order = read_solution(problem, solution)
    score = evaluate(problem, order)
    out.print(_score_table(problem, [(solution.name, score)]))
    if not score.feasible:
        out.print(f"[bold red]paint batch limit broken:[/] a run of {score.longest_run} "
                  f"> {problem.batch_limit}")
        raise typer.Exit(1)


def _live_text(imp: Improvement) -> Text:
    return Text.assemble(
        ("best ", "bold"), (f"{imp.total:,}", "bold green"),
        f"  HPRC {imp.hprc}  PCC {imp.pcc}  LPRC {imp.lprc}",
        (f"   {imp.elapsed_s:6.1f} s, {imp.iteration:,} moves", "dim"),
    )


@app.command()
@_clean_errors
def solve(
    instance: Annotated[Path | None, typer.Argument(
        help="ROADEF folder, CSPLib file, or order CSV (with --plant).")] = None,
    time_limit: Annotated[float, typer.Option(help="Seconds of search.", min=0.0)] = 10.0,
    seed: Annotated[int, typer.Option(help="Seed of the search.")] = 0,
    iterations: Annotated[int | None, typer.Option(
        help="Stop after this many moves (reproducible with the same seed).", min=1)] = None,
    lower_bound: Annotated[int | None, typer.Option(
        help="Stop as soon as the total reaches this known bound.")] = None,
    out_file: Annotated[Path | None, typer.Option(
        "--out", help="Write the sequence (solution file, or sequence CSV for plants).")] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the result as JSON.")]
    = None,
    plant: PlantOpt = None,
    orders: Annotated[Path | None, typer.Option(help="Order CSV of the plant.")] = None,
) -> None:
    """Find a good sequence: greedy start, then local search until the time limit."""
    source = orders or instance
    if source is None:
        raise typer.BadParameter("give INSTANCE, or --plant PLANT --orders ORDERS.csv")
    if orders is not None and plant is None:
        raise typer.BadParameter("--orders needs --plant")
    p = load_plant(plant) if plant is not None else None
    problem, plant_orders = _open(source, p)
    err.print(problem.summary(), style="dim", highlight=False)
    with Live(Text("greedy start ..."), console=err, transient=True,
              auto_refresh=False) as live:

        def show(imp: Improvement) -> None:
            live.update(_live_text(imp), refresh=True)

        result = solve_sequence(problem, time_limit, seed=seed, iteration_limit=iterations,
                                lower_bound=lower_bound, on_improvement=show)
    baseline = evaluate(problem, np.arange(problem.n))
    name = "arrival order" if plant_orders is not None else "file order"
    out.print(_score_table(problem, [(name, baseline), ("greedy start", result.initial),
                                     ("taktline", result.score)]))
    out.print(f"{result.iterations:,} moves in {result.elapsed_s:.1f} s "
              f"(stopped: {result.stopped.replace('_', ' ')}, seed {seed})")
    _write(result, baseline, plant_orders, out_file, json_out)


def _write(result: SequenceResult, baseline: Score, plant_orders: list[Order] | None,
           out_file: Path | None, json_out: Path | None) -> None:
    if out_file is not None:
        if plant_orders is not None:
            write_sequence(orders_in_sequence(plant_orders, result.order), out_file)
        else:
            write_solution(result.problem, result.order, out_file)
        out.print(f"sequence written to {out_file}")
    if json_out is not None:
        data = result.to_dict()
        data["file_order"] = baseline.to_dict()
        json_out.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        out.print(f"result written to {json_out}")
