"""The same experiment on 1 and 2 local workers and on a Dask LocalCluster.

The twin's compiled engine is compiled (or loaded from numba's cache) first, in this
process, so no backend pays for the compilation. Part 1 runs one experiment (the
reference plant, AGV fleet of 6/8/10/12, replications of ``--days`` days after a 12 h
warm-up) on three backends through the public ``run_experiment``: serial (1 worker, in
this process), a local pool of 2 processes, and a Dask LocalCluster of 2
single-threaded worker processes. Wall times include starting the workers; the script
checks that the three give identical results and prints the speed-up against 1 worker.

Part 2 measures the per-task overhead of Dask: ``--tiny`` tasks that simulate the
two-station line for one hour (a few ms of work each) run in this process, on a local
pool and on Dask (1 worker each, workers already started); the overhead is the
difference of the wall time per task.

    .venv/bin/python bench/experiment_scaling.py [--days 30] [--replications 4] [--tiny 200]
"""

from __future__ import annotations

import argparse
import os
import time
from typing import Any

from taktline import simulate
from taktline.experiment import parse_scenario, run_experiment
from taktline.experiment.backends import DaskBackend, PoolBackend, SerialBackend
from taktline.experiment.tasks import make_task
from taktline.plant import load_plant

SCENARIO = """\
name: agv-scaling
plant: default
factors:
  agvs: {{path: fleets.agv.size, values: [6, 8, 10, 12]}}
replications: {replications}
run: {{length: {days}d, warmup: 12h}}
"""


def _strip(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in r.items() if k != "wall_s"} for r in runs]


def part1(days: float, replications: int) -> None:
    exp = parse_scenario(SCENARIO.format(days=days, replications=replications))
    n = len(exp.scenarios) * replications
    print(f"experiment: reference plant, {len(exp.scenarios)} scenarios x {replications} "
          f"replications = {n} runs of {days:g} d + 12 h warm-up")
    rows = []
    reference: list[dict[str, Any]] | None = None
    for label, workers, dask in (("serial", 1, None), ("local pool", 2, None),
                                 ("dask LocalCluster", 2, "local")):
        start = time.perf_counter()
        result = run_experiment(exp, workers=workers, dask=dask)
        wall = time.perf_counter() - start
        runs = _strip(result.runs)
        reference = reference or runs
        rows.append((label, workers, wall, runs == reference))
    base = rows[0][2]
    print(f"{'backend':20s} {'workers':>7s} {'wall s':>8s} {'speed-up':>9s} {'identical':>9s}")
    for label, workers, wall, same in rows:
        print(f"{label:20s} {workers:7d} {wall:8.1f} {base / wall:9.2f} {same!s:>9s}")


def part2(tiny: int) -> None:
    plant = load_plant("two_station")
    tasks = [make_task("tiny", k, k, plant, 3600.0, 0.0, 3600.0) for k in range(1, tiny + 1)]
    per: dict[str, float] = {}
    backends = (("serial", SerialBackend), ("local pool", lambda: PoolBackend(1)),
                ("dask", lambda: DaskBackend("local", 1)))
    for label, make in backends:
        backend = make()
        try:
            list(backend.map(tasks[:4]))  # warm the worker up (imports, compiled engine)
            start = time.perf_counter()
            done = list(backend.map(tasks))
            per[label] = (time.perf_counter() - start) / len(done)
        finally:
            close = getattr(backend, "close", None)
            if close is not None:
                close()
    print(f"\nper-task cost, {tiny} tiny tasks (two-station line, 1 h simulated):")
    for label, secs in per.items():
        print(f"  {label:12s} {secs * 1000:8.2f} ms per task")
    print(f"  Dask overhead per task: {(per['dask'] - per['serial']) * 1000:.2f} ms "
          f"(dask - serial, 1 worker each); local pool: "
          f"{(per['local pool'] - per['serial']) * 1000:.2f} ms")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--days", type=float, default=30.0)
    ap.add_argument("--replications", type=int, default=4)
    ap.add_argument("--tiny", type=int, default=200)
    args = ap.parse_args()
    print(f"CPUs available: {len(os.sched_getaffinity(0))}, load average "
          f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    start = time.perf_counter()
    simulate("two_station", days=0.05, warmup_hours=0)  # compile the engine (or load its cache)
    print(f"engine ready in {time.perf_counter() - start:.1f} s (numba compile or cache load; "
          "workers load the cache)")
    part1(args.days, args.replications)
    part2(args.tiny)


if __name__ == "__main__":
    main()
