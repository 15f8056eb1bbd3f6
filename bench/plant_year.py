"""The reference plant for a year: wall time, events per second, peak memory.

Runs the bundled 320-robot plant through the public API (``simulate``: the twin plus
every KPI) for 365 days after an 8 h warm-up and prints what it measured.

    .venv/bin/python bench/plant_year.py [--days 365] [--seed 1]
"""

from __future__ import annotations

import argparse
import resource
import time

from taktline import load_plant, simulate


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--days", type=float, default=365.0)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    plant = load_plant()
    start = time.perf_counter()
    result = simulate(plant, days=args.days, seed=args.seed)
    wall = time.perf_counter() - start
    run, k = result.run, result.kpis
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"plant: {plant.name}, {len(plant.stations)} stations, {plant.robot_count} robots")
    print(f"simulated: {args.days:g} days + 8 h warm-up, seed {args.seed}")
    print(f"vehicles completed: {k.flow.vehicles_completed:,} "
          f"({k.flow.throughput_jph:.2f} JPH, {k.design_rate_share:.1%} of design)")
    print(f"events: {run.events:,}")
    print(f"wall time: {wall:.1f} s (twin {run.wall_s:.1f} s, KPIs {wall - run.wall_s:.1f} s)")
    print(f"events per second (twin): {run.events / run.wall_s:,.0f}")
    print(f"peak memory (max RSS): {peak_mib:,.0f} MiB")


if __name__ == "__main__":
    main()
