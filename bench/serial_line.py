"""taktline against SimPy on the same 50-station serial line, side by side.

The line (validation.md section 5): 50 stations, buffers of 2 between them, blocking
after service, deterministic 110 s cycle, exponential failures with MTBF 8 h counted in
operating time and MTTR 5 min, preempt-resume, saturated source, one simulated week.

taktline builds it through the public plant format and runs the public engine
(``parse_plant`` + ``run_twin``, recording every record, as users run it). The SimPy
model is written the idiomatic SimPy way (a process per station, ``Store`` buffers) and
draws from the same per-station random streams in the same order, so both must report
the identical number of parts; the script checks that for several seeds and then prints
both wall times (median of 5 runs) and their ratio.

    .venv/bin/python bench/serial_line.py [--stations 50] [--seeds 1 2 3] [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Generator
from typing import Any

import simpy

from taktline.plant import Plant, parse_plant
from taktline.sim import run_twin
from taktline.sim.random import Streams

WEEK = 604_800.0
CYCLE = 110.0
MTBF = 8 * 3600.0
MTTR = 300.0


def line_yaml(n: int) -> str:
    """The line in taktline's plant format."""
    lines = [
        "name: serial-line-benchmark", "takt: 110", "shops: [{id: line}]",
        "products: {variants: [{id: v, share: 1}], colours: [{id: c, share: 1}]}",
        "sources: [{kind: vehicles, id: src, to: b0}]", "buffers:",
        "  - {id: b0, capacity: 1}",
    ]
    lines += [f"  - {{id: b{i}, capacity: 2}}" for i in range(1, n)]
    lines += [f"  - {{id: b{n}, capacity: 1}}", "stations:"]
    fail = ("failures: [{name: f, ttf: {dist: exponential, mean: 8h}, "
            "ttr: {dist: exponential, mean: 5min}}]")
    lines += [f"  - {{id: m{i}, shop: line, cycle: 110, inputs: [b{i}], outputs: [b{i + 1}], "
              f"{fail}}}" for i in range(n)]
    lines.append(f"sinks: [{{id: out, from: b{n}}}]")
    return "\n".join(lines)


def run_taktline(plant: Plant, seed: int) -> int:
    return run_twin(plant, horizon_s=WEEK, seed=seed).completed


def run_simpy(n: int, seed: int) -> int:
    """The same line, the idiomatic SimPy way."""
    env = simpy.Environment()
    streams = Streams(seed)
    stores = [simpy.Store(env, capacity=2) for _ in range(n)]
    done = [0]

    def station(i: int) -> Generator[Any, Any, None]:
        ttf_gen = streams.generator(f"m{i}/failure/f/ttf")
        ttr_gen = streams.generator(f"m{i}/failure/f/ttr")
        ttf = ttf_gen.exponential(MTBF)  # operating time left until the next failure
        while True:
            if i > 0:
                yield stores[i].get()
            work = CYCLE
            while ttf < work:  # fails during this part: work until then, repair, resume
                yield env.timeout(ttf)
                work -= ttf
                yield env.timeout(ttr_gen.exponential(MTTR))
                ttf = ttf_gen.exponential(MTBF)
            yield env.timeout(work)
            ttf -= work
            if i < n - 1:
                yield stores[i + 1].put(1)
            else:
                done[0] += 1

    for i in range(n):
        env.process(station(i))
    env.run(until=WEEK)
    return done[0]


def timed(fn: Callable[[], int], repeat: int) -> tuple[int, float]:
    times, result = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return result, statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--stations", type=int, default=50)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    n = args.stations
    start = time.perf_counter()
    plant = parse_plant(line_yaml(n), filename="serial_line.yaml")
    run_taktline(plant, 0)  # warm up (numba compilation, caches)
    print(f"{n}-station line, one week; first taktline run incl. warm-up "
          f"{time.perf_counter() - start:.2f} s")
    print(f"{'seed':>6} {'taktline parts':>15} {'SimPy parts':>12}")
    for seed in args.seeds:
        ours, theirs = run_taktline(plant, seed), run_simpy(n, seed)
        print(f"{seed:>6} {ours:>15} {theirs:>12}")
        if ours != theirs:
            raise SystemExit(f"seed {seed}: taktline made {ours} parts, SimPy {theirs}")
    seed = args.seeds[0]
    _, ours_s = timed(lambda: run_taktline(parse_plant(line_yaml(n)), seed), args.repeat)
    _, simpy_s = timed(lambda: run_simpy(n, seed), args.repeat)
    print(f"wall time, median of {args.repeat} (model build included): "
          f"taktline {ours_s:.3f} s, SimPy {simpy_s:.3f} s")
    print(f"taktline is {simpy_s / ours_s:.1f}x faster than SimPy (target: 5x)")


if __name__ == "__main__":
    main()
