"""Order sequencing: Renault's own order, taktline and OR-Tools CP-SAT, side by side.

Every instance of ROADEF 2005 sets A and B and of CSPLib prob001 sets 1 and 2 (from
``../shared/benchmarks``) is sequenced three ways, each scored by taktline's exact
evaluator:

(a) **file order** - the day-D vehicles in the order of the instance file (for ROADEF,
    Renault's own sequence);
(b) **taktline** - ``solve_sequence`` (greedy start, compiled local search), one core;
(c) **CP-SAT** - the model below, given the same time limit, one worker, and the greedy
    sequence as a hint: the generic solver a user would otherwise pick.

Jobs (one per instance and solver) run in parallel up to the core count. Per instance
the script prints the total and its parts for each; at the end, per set, the mean total
of each method, the mean gap of file order and CP-SAT to taktline, the count of
instances where CP-SAT beat taktline, and for CSPLib the counts solved to the best known
value (``csplib/best_known.csv``). The table goes to ``bench/results/``.

The CP-SAT model, in prose: a boolean ``x[c, i]`` says that position ``i`` of day D
holds a vehicle of class ``c`` (a class = one colour and one set of ratio constraints).
Each position holds one class and each class fills as many positions as it has
vehicles. The number of vehicles with option ``j`` at position ``i`` is a 0/1 variable
tied to the ``x``; a window's violations are an integer variable at least the window's
count minus N (day D-1 vehicles enter as constants). A colour change at ``i`` is a
boolean forced up when the colour at ``i`` is not the colour at ``i - 1``. No ``L + 1``
consecutive positions may hold one colour. The objective is the ROADEF weighted total.

    .venv/bin/python bench/sequencing.py [--time-limit 60] [--jobs N] [--sets A B set1 set2]
        [--only SUBSTRING] [--solvers taktline cpsat]
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from taktline.plan.sequencing import (
    Score,
    SequenceProblem,
    evaluate,
    greedy_sequence,
    load_instance,
    solve_sequence,
)

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT.parent / "shared" / "benchmarks"
RESULTS = ROOT / "bench" / "results"
SETS = {
    "A": BENCH / "roadef2005" / "A",
    "B": BENCH / "roadef2005" / "B",
    "set1": BENCH / "csplib" / "set1_classic_100cars",
    "set2": BENCH / "csplib" / "set2_200cars_60-90",
}
BEST_KEYS = {"set1": "csplib_set1_classic_100cars", "set2": "csplib_set2_200cars"}


def cpsat_sequence(
    problem: SequenceProblem, time_limit_s: float, hint: NDArray[np.int64], workers: int = 1
) -> tuple[NDArray[np.int64] | None, str]:
    """Solve ``problem`` with CP-SAT; returns (day-D order or None, solver status)."""
    from ortools.sat.python import cp_model

    # Data: vehicle classes, their counts, colours and options; day D-1 as constants.
    n = problem.n
    keys = np.concatenate([problem.colours[:, None], problem.options], axis=1)
    classes, cls_of = np.unique(keys, axis=0, return_inverse=True)
    cls_of = cls_of.reshape(-1)
    counts = np.bincount(cls_of, minlength=len(classes))
    cls_colour = classes[:, 0]
    cls_opts = classes[:, 1:]
    colours = sorted(set(problem.colours.tolist()))
    limit = problem.batch_limit
    w_h, w_p, w_l = problem.weights
    hint_opts = problem.options[hint]
    hint_col = problem.colours[hint]

    model = cp_model.CpModel()

    # Variables: x[c][i] = class c at position i; option and colour indicators per position.
    x = [[model.new_bool_var(f"x{c}_{i}") for i in range(n)] for c in range(len(classes))]
    has = [[model.new_bool_var(f"o{j}_{i}") for i in range(n)] for j in range(problem.k)]
    paint = {col: [model.new_bool_var(f"p{col}_{i}") for i in range(n)] for col in colours}

    # Each position holds exactly one vehicle; each class fills its count of positions.
    for i in range(n):
        model.add_exactly_one(x[c][i] for c in range(len(classes)))
    for c in range(len(classes)):
        model.add(sum(x[c]) == int(counts[c]))

    # Channelling: the option and colour indicators follow the class at each position.
    for i in range(n):
        for j in range(problem.k):
            model.add(has[j][i] == sum(x[c][i] for c in np.flatnonzero(cls_opts[:, j])))
        for col in colours:
            model.add(paint[col][i] == sum(x[c][i] for c in np.flatnonzero(cls_colour == col)))

    # Ratio constraints: violations of each window (the evaluator's window set).
    high_terms, low_terms = _window_violations(model, problem, has, hint_opts)

    # Paint colour changes: at i when the colour differs from position i-1 (or D-1's last).
    changes = _colour_changes(model, problem, paint, hint_col)

    # Paint batch limit: no L+1 consecutive positions of one colour.
    if limit is not None:
        for col in colours:
            if int((problem.colours == col).sum()) <= limit:
                continue
            for i in range(n - limit):
                model.add(sum(paint[col][i:i + limit + 1]) <= limit)

    # Objective: the ROADEF weighted total.
    model.minimize(w_h * sum(high_terms) + w_p * sum(changes) + w_l * sum(low_terms))

    # Hint: the greedy sequence (every variable; the violations and changes above).
    for i, vehicle in enumerate(hint.tolist()):
        for c, row in enumerate(x):
            model.add_hint(row[i], int(cls_of[vehicle] == c))
        for j, row in enumerate(has):
            model.add_hint(row[i], int(hint_opts[i, j]))
        for col, row in paint.items():
            model.add_hint(row[i], int(hint_col[i] == col))

    # Solve.
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit_s
    solver.parameters.num_workers = workers
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None, solver.status_name(status)
    pool = {c: list(np.flatnonzero(cls_of == c)) for c in range(len(classes))}
    order = [pool[next(c for c in pool if solver.boolean_value(x[c][i]))].pop()
             for i in range(n)]
    return np.array(order, dtype=np.int64), solver.status_name(status)


def _window_violations(model: Any, problem: SequenceProblem, has: list[list[Any]],
                       hint_opts: NDArray[np.uint8]) -> tuple[list[Any], list[Any]]:
    """One integer per window that can be violated: at least its count minus N."""
    n, m = problem.n, problem.m
    assert problem.prefix_options is not None
    high_terms, low_terms = [], []
    for j in range(problem.k):
        nmax, size = int(problem.ratio_max[j]), int(problem.ratio_window[j])
        lo, hi = problem.window_starts(j)
        for s in range(lo, hi + 1):
            cells = range(max(s, 0), min(s + size, m + n))
            fixed = sum(int(problem.prefix_options[p, j]) for p in cells if p < m)
            free = [has[j][p - m] for p in cells if p >= m]
            if fixed + len(free) <= nmax:
                continue
            v = model.new_int_var(0, fixed + len(free) - nmax, f"v{j}_{s}")
            model.add(v >= sum(free) + fixed - nmax)
            held = fixed + sum(int(hint_opts[p - m, j]) for p in cells if p >= m)
            model.add_hint(v, max(0, held - nmax))
            (high_terms if problem.high_priority[j] else low_terms).append(v)
    return high_terms, low_terms


def _colour_changes(model: Any, problem: SequenceProblem, paint: dict[int, list[Any]],
                    hint_col: NDArray[np.int32]) -> list[Any]:
    """One boolean per position, forced to 1 when its colour differs from the one before."""
    changes = []
    for i in range(problem.n):
        if i == 0 and problem.m == 0:
            continue
        ch = model.new_bool_var(f"ch{i}")
        for col in paint:
            before = int(problem.prefix_colours[-1] == col) if i == 0 else paint[col][i - 1]
            model.add(ch >= paint[col][i] - before)
        previous = problem.prefix_colours[-1] if i == 0 else hint_col[i - 1]
        model.add_hint(ch, int(hint_col[i] != previous))
        changes.append(ch)
    return changes


@dataclass
class Row:
    """One instance solved one way."""

    set: str
    instance: str
    method: str
    total: int | None
    hprc: int | None
    pcc: int | None
    lprc: int | None
    feasible: bool
    seconds: float
    note: str = ""


def _row(set_name: str, name: str, method: str, score: Score | None, seconds: float,
         note: str = "") -> Row:
    if score is None:
        return Row(set_name, name, method, None, None, None, None, False, seconds, note)
    return Row(set_name, name, method, score.total, score.hprc, score.pcc, score.lprc,
               score.feasible, round(seconds, 2), note)


def run_job(set_name: str, path: str, method: str, time_limit: float) -> Row:
    """Solve one instance one way (runs in a worker process)."""
    problem = load_instance(path)
    t0 = time.perf_counter()
    if method == "file order":
        return _row(set_name, problem.name, method, evaluate(problem, np.arange(problem.n)), 0.0)
    if method == "taktline":
        res = solve_sequence(problem, time_limit, seed=0)
        last = res.history[-1].elapsed_s if res.history else 0.0
        return _row(set_name, problem.name, method, res.score, res.elapsed_s,
                    f"{res.iterations} moves, best at {last:.1f} s, {res.stopped}")
    order, status = cpsat_sequence(problem, time_limit, greedy_sequence(problem))
    score = evaluate(problem, order) if order is not None else None
    return _row(set_name, problem.name, method, score, time.perf_counter() - t0, status)


def best_known() -> dict[tuple[str, str], int]:
    with (BENCH / "csplib" / "best_known.csv").open(encoding="utf-8") as fh:
        return {(r["set"], r["instance"]): int(r["objective"]) for r in csv.DictReader(fh)}


def gap(x: int | None, t: int | None) -> float | None:
    """How much lower taktline's total ``t`` is than ``x``, as a share of ``x``."""
    if x is None or t is None:
        return None
    if x == 0:
        return 0.0 if t == 0 else None
    return (x - t) / x


def _mean(vals: list[int | None]) -> str:
    ok = [v for v in vals if v is not None]
    if not ok:
        return "-"
    return f"{statistics.fmean(ok):,.1f}" + ("" if len(ok) == len(vals) else "*")


def _mean_gap(xs: list[int | None], ts: list[int | None]) -> str:
    gaps = [gap(x, t) for x, t in zip(xs, ts, strict=True)]
    ok = [g for g in gaps if g is not None]
    return f"{100 * statistics.fmean(ok):.2f} %" if ok else "-"


def summarise(rows: list[Row]) -> list[str]:
    """Per set: mean totals, mean gaps to taktline, wins, CSPLib counts at best known."""
    known = best_known()
    by = {(r.set, r.instance, r.method): r.total for r in rows}
    lines = ["| set | instances | mean total: file order | CP-SAT | taktline | "
             "gap file order -> taktline | gap CP-SAT -> taktline | CP-SAT better | "
             "at best known: CP-SAT | taktline |", "|---" * 10 + "|"]
    for set_name in SETS:
        names = sorted({r.instance for r in rows if r.set == set_name})
        if not names:
            continue
        col = {method: [by.get((set_name, n, method)) for n in names]
               for method in ("file order", "cpsat", "taktline")}
        worse = [n for n, c, t in zip(names, col["cpsat"], col["taktline"], strict=True)
                 if c is not None and t is not None and c < t]
        at_best = {"cpsat": "-", "taktline": "-"}
        if set_name in BEST_KEYS:
            for method in at_best:
                hits = sum(1 for n, v in zip(names, col[method], strict=True)
                           if v is not None and v <= known[(BEST_KEYS[set_name], n)])
                at_best[method] = f"{hits}/{len(names)}"
        lines.append(
            f"| {set_name} | {len(names)} | {_mean(col['file order'])} | {_mean(col['cpsat'])} "
            f"| {_mean(col['taktline'])} | {_mean_gap(col['file order'], col['taktline'])} | "
            f"{_mean_gap(col['cpsat'], col['taktline'])} | "
            f"{len(worse)}{' (' + ', '.join(worse) + ')' if worse else ''} | "
            f"{at_best['cpsat']} | {at_best['taktline']} |")
    return lines


def _cell(r: Row | None) -> str:
    if r is None or r.total is None:
        return "no solution"
    return f"{r.total:,} ({r.hprc}/{r.pcc}/{r.lprc})"


def per_instance(rows: list[Row]) -> list[str]:
    """One line per instance: total (HPRC/PCC/LPRC) of each method."""
    known = best_known()
    by = {(r.set, r.instance, r.method): r for r in rows}
    lines = ["| set | instance | file order | CP-SAT | taktline | best known |",
             "|---|---|---|---|---|---|"]
    for set_name, name in sorted({(r.set, r.instance) for r in rows},
                                 key=lambda k: (list(SETS).index(k[0]), k[1])):
        best = known.get((BEST_KEYS.get(set_name, ""), name))
        lines.append(f"| {set_name} | {name} | {_cell(by.get((set_name, name, 'file order')))} "
                     f"| {_cell(by.get((set_name, name, 'cpsat')))} "
                     f"| {_cell(by.get((set_name, name, 'taktline')))} "
                     f"| {'' if best is None else best} |")
    return lines


def _header(args: argparse.Namespace, wall: float) -> list[str]:
    import subprocess

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True, cwd=ROOT, check=False).stdout.strip()
    return [f"# Sequencing benchmark: {args.time_limit:g} s per instance and solver",
            "",
            f"{time.strftime('%Y-%m-%d')}, commit {commit}, {args.jobs} jobs in parallel on "
            f"{os.cpu_count()} cores, {wall / 60:.0f} min wall. Totals are scored by "
            "taktline's evaluator; cells read total (HPRC/PCC/LPRC). Gap = how much lower "
            "taktline's total is, as a share of the other's (mean over the set). CP-SAT: one "
            "worker, the greedy sequence as a complete hint.", ""]


def _jobs(args: argparse.Namespace) -> list[tuple[str, str, str]]:
    jobs = []
    for set_name in args.sets:
        paths = sorted(p for p in SETS[set_name].iterdir()
                       if p.is_dir() or p.suffix == ".txt")
        for p in paths:
            if args.only and args.only not in p.name:
                continue
            for method in ["file order", *args.solvers]:
                jobs.append((set_name, str(p), method))
    # the long ones first: ROADEF before CSPLib, CP-SAT before taktline
    jobs.sort(key=lambda j: (j[0] not in ("A", "B"), j[2] != "cpsat"))
    return jobs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--sets", nargs="+", default=list(SETS), choices=list(SETS))
    ap.add_argument("--solvers", nargs="+", default=["taktline", "cpsat"],
                    choices=["taktline", "cpsat"])
    ap.add_argument("--only", default="", help="only instances whose name contains this")
    ap.add_argument("--out", type=Path, default=None, help="CSV of every row")
    args = ap.parse_args(argv)
    rows: list[Row] = []
    t0 = time.perf_counter()
    jobs = _jobs(args)
    print(f"{len(jobs)} jobs on {args.jobs} workers, {args.time_limit:g} s each", flush=True)
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        futures = [pool.submit(run_job, s, p, m, args.time_limit) for s, p, m in jobs]
        for fut in as_completed(futures):
            r = fut.result()
            rows.append(r)
            print(f"{r.set:5s} {r.instance:32s} {r.method:10s} total {r.total!s:>12s} "
                  f"(HPRC {r.hprc}, PCC {r.pcc}, LPRC {r.lprc}) {r.seconds:7.1f} s {r.note}",
                  flush=True)
    rows.sort(key=lambda r: (list(SETS).index(r.set), r.instance, r.method))
    out = args.out or RESULTS / f"sequencing_{args.time_limit:g}s.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(asdict(rows[0])))
        w.writeheader()
        w.writerows(asdict(r) for r in rows)
    summary = summarise(rows)
    report = [*_header(args, time.perf_counter() - t0), *summary, "", *per_instance(rows)]
    out.with_suffix(".md").write_text("\n".join(report) + "\n", encoding="utf-8")
    print("\n".join(summary))
    print(f"rows in {out}, summary in {out.with_suffix('.md')}; "
          f"{time.perf_counter() - t0:.0f} s wall")
    return 0


if __name__ == "__main__":
    sys.exit(main())
