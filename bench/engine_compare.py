"""The twin's two engines and SimPy on the 50-station line, and the compile times.

The line and the SimPy model are those of ``bench/serial_line.py`` (50 stations,
buffers of 2, 110 s cycle, failures MTBF 8 h operating / MTTR 5 min, one week). Each
engine runs ``run_twin`` on the parsed plant (model build and every record included);
times are the median of ``--repeat`` warm runs. The compile times are measured in
fresh processes: once with an empty numba cache (cold) and once loading from it.

    .venv/bin/python bench/engine_compare.py [--repeat 5] [--seed 1]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from taktline.plant import parse_plant
from taktline.sim import run_twin
from taktline.sim.run import Engine

sys.path.insert(0, str(Path(__file__).resolve().parent))
from serial_line import WEEK, line_yaml, run_simpy

COMPILE = """
from taktline.plant import load_plant
from taktline.sim import run_twin
from taktline.sim.run import Engine
print(run_twin(load_plant("single_station"), horizon_s=3600.0).compile_s)
"""


def median_time(fn: Callable[[], int], repeat: int) -> tuple[int, float]:
    times, result = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return result, statistics.median(times)


def compile_seconds(cache_dir: str) -> float:
    """``Run.compile_s`` of a first run in a new process using ``cache_dir``."""
    env = {**os.environ, "NUMBA_CACHE_DIR": cache_dir}
    out = subprocess.run([sys.executable, "-c", COMPILE], capture_output=True, text=True,
                         check=True, env=env)
    return float(out.stdout.strip())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-compile", action="store_true", help="skip the compile timings")
    args = ap.parse_args()
    plant = parse_plant(line_yaml(50))
    run_twin(plant, horizon_s=WEEK, seed=args.seed)  # compile or load the engine first

    def engine(name: Engine) -> Callable[[], int]:
        return lambda: run_twin(plant, horizon_s=WEEK, seed=args.seed, engine=name).completed

    compiled, compiled_s = median_time(engine("compiled"), args.repeat)
    reference, reference_s = median_time(engine("reference"), args.repeat)
    simpy, simpy_s = median_time(lambda: run_simpy(50, args.seed), args.repeat)
    print(f"50-station line, one week, seed {args.seed}: parts "
          f"compiled {compiled}, reference {reference}, SimPy {simpy}")
    if not compiled == reference == simpy:
        raise SystemExit("the three models disagree")
    print(f"wall time, median of {args.repeat}: compiled {compiled_s:.3f} s, "
          f"reference {reference_s:.3f} s, SimPy {simpy_s:.3f} s")
    print(f"compiled engine: {simpy_s / compiled_s:.1f}x faster than SimPy, "
          f"{reference_s / compiled_s:.1f}x faster than the reference engine")
    if not args.no_compile:
        with tempfile.TemporaryDirectory() as cache:
            cold = compile_seconds(cache)
            warm = compile_seconds(cache)
        print(f"first-call compile: {cold:.1f} s cold, {warm:.2f} s from numba's cache")


if __name__ == "__main__":
    main()
