"""The compiled engine against the Python reference engine: for the same plant, seed and
options both must write the very same records, table by table, bit for bit."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from taktline.plant import Plant, bundled_plants, load_plant, parse_plant
from taktline.plant.orders import Order, parse_sequence
from taktline.sim import Run, run_twin
from taktline.sim.records import RecordLog
from tests.strategies import small_plants

DAY = 86_400.0


def columns(log: RecordLog) -> dict[str, np.ndarray]:
    """Every column of every table of a run, by a readable name."""
    out: dict[str, np.ndarray] = {}
    for i in range(len(log.stations)):
        for name in log.states[i].names:
            out[f"states[{i}].{name}"] = log.states[i].column(name)
        for name in log.ops[i].names:
            out[f"ops[{i}].{name}"] = log.ops[i].column(name)
    for kind, table in log.tables.items():
        for name in table.names:
            out[f"{kind}.{name}"] = table.column(name)
    return out


def assert_same_runs(a: Run, b: Run) -> None:
    ca, cb = columns(a.records), columns(b.records)
    assert ca.keys() == cb.keys()
    for key, want in cb.items():
        got = ca[key]
        assert got.dtype == want.dtype, key
        assert got.tobytes() == want.tobytes(), f"{key}: {got[:10]} ... vs {want[:10]} ..."
    assert a.records.names == b.records.names
    assert a.records.orders == b.records.orders
    assert (a.events, a.released, a.completed) == (b.events, b.released, b.completed)


def assert_same(p: Plant, horizon: float, seed: int, **kw: Any) -> Run:
    """Run both engines; fail unless their records are identical. The compiled run."""
    kw.setdefault("record_buffers", True)
    a = run_twin(p, horizon_s=horizon, seed=seed, engine="compiled", **kw)
    b = run_twin(p, horizon_s=horizon, seed=seed, engine="reference", **kw)
    assert a.engine == "compiled" and b.engine == "reference"
    assert_same_runs(a, b)
    return a


@pytest.mark.parametrize("name", bundled_plants())
@pytest.mark.parametrize("seed", [1, 2])
def test_bundled_plants(name: str, seed: int) -> None:
    r = assert_same(load_plant(name), DAY, seed)
    assert r.completed > 0


def test_bundled_plant_for_a_week_without_buffer_records() -> None:
    assert_same(load_plant("five_station_agv"), 7 * DAY, 5, record_buffers=False)


def reserved(p: Plant, size: int | None = None) -> Plant:
    """``p`` with every fleet on reserved routing (and ``size`` AGVs, if given)."""
    d = p.model_dump(by_alias=True)
    for f in d["fleets"]:
        f["routing"] = "reserved"
        f["size"] = size or f["size"]
    return Plant.model_validate(d)


@pytest.mark.parametrize(("name", "size", "seed", "days"),
                         [("default", None, 1, 2), ("default", 6, 2, 1),
                          ("five_station_agv", 3, 3, 7)])
def test_reserved_routing(name: str, size: int | None, seed: int, days: int) -> None:
    """AGVs on reserved chains: the compiled engine plans through the same
    ``plan.dispatch`` as the reference engine, at the same instants, and writes the same
    records - the ``visit`` records of the routes included. A short fleet (6 AGVs for
    the reference plant) keeps every AGV busy and the plans full of waits."""
    r = assert_same(reserved(load_plant(name), size), days * DAY, seed)
    assert len(r.records.table("visit")) > 1000 and len(r.records.table("transport")) > 100


@pytest.mark.parametrize("horizon", [0.0, 1.0, 110.0, 3_600.5])
def test_reserved_routing_short_horizons(horizon: float) -> None:
    assert_same(reserved(load_plant("five_station_agv")), horizon, 1)


def _line(n: int, cycle: int, failures: bool) -> Plant:
    """The benchmark line: n stations, buffers of 2, saturated source."""
    fail = (", failures: [{ttf: {dist: exponential, mean: 8h}, "
            "ttr: {dist: exponential, mean: 5min}}]") if failures else ""
    lines = ["name: line", f"takt: {cycle}", "shops: [{id: s}]",
             "products: {variants: [{id: v, share: 1}], colours: [{id: c, share: 1}]}",
             "sources: [{kind: vehicles, id: src, to: b0}]", "buffers:",
             "  - {id: b0, capacity: 1}"]
    lines += [f"  - {{id: b{i}, capacity: 2}}" for i in range(1, n)]
    lines += [f"  - {{id: b{n}, capacity: 1}}", "stations:"]
    lines += [f"  - {{id: m{i}, shop: s, cycle: {cycle}, inputs: [b{i}], outputs: [b{i + 1}]"
              f"{fail}}}" for i in range(n)]
    lines.append(f"sinks: [{{id: out, from: b{n}}}]")
    return parse_plant("\n".join(lines))


@pytest.mark.parametrize(("cycle", "failures", "completed"),
                         [(110, True, 5018), (120, False, 4990)])
def test_fifty_station_line_for_a_week(cycle: int, failures: bool, completed: int) -> None:
    """The benchmark line (5018 parts, as the SimPy model makes) and the deterministic
    line of validation.md (4990 parts before the horizon); long enough for the driver to
    move records out and refill samplers many times."""
    r = assert_same(_line(50, cycle, failures), 7 * DAY, 1, record_buffers=False)
    assert r.completed == completed


def _sequence(p: Plant, n: int) -> list[Order]:
    """A sequence CSV of ``n`` vehicles cycling through the catalogue."""
    prod = p.products
    rows = ["order_id,variant,colour,options"]
    for k in range(n):
        v = prod.variants[k % len(prod.variants)].id
        c = prod.colours[(k // 2) % len(prod.colours)].id
        opts = "+".join(o.id for j, o in enumerate(prod.options) if (k >> j) % 3 == 0)
        rows.append(f"ORD{k:05d},{v},{c},{opts}")
    return parse_sequence("\n".join(rows) + "\n", p)


@pytest.mark.parametrize("n", [40, 2_000])
def test_sequence_from_orders(n: int) -> None:
    """With a sequence the vehicles enter in its order, and the source stops at its end
    (40 orders run out in the day, 2000 do not)."""
    p = load_plant("five_station_agv")
    r = assert_same(p, DAY, 3, orders=_sequence(p, n))
    assert r.records.orders[:3] == ["ORD00000", "ORD00001", "ORD00002"]
    assert (r.released == n) == (n == 40)


def test_progress_is_reported_and_changes_nothing() -> None:
    p = load_plant("two_station")
    seen: list[tuple[float, float]] = []
    a = run_twin(p, horizon_s=DAY, seed=4, progress=lambda t, h: seen.append((t, h)),
                 step_s=7_200.0)
    b = run_twin(p, horizon_s=DAY, seed=4, engine="reference")
    assert_same_runs(a, b)
    assert [t for t, _ in seen] == [7_200.0 * k for k in range(1, 13)]


@pytest.mark.parametrize("horizon", [0.0, 1.0, 110.0, 3_600.5])
def test_short_horizons(horizon: float) -> None:
    assert_same(load_plant("five_station_agv"), horizon, 1)


def test_unknown_engine() -> None:
    with pytest.raises(ValueError, match="engine"):
        run_twin(load_plant("single_station"), horizon_s=10.0, engine="fast")  # type: ignore[arg-type]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_plants(), st.integers(0, 2**31 - 1))
def test_random_small_plants(case: tuple[Plant, float], seed: int) -> None:
    """Random lines (parallel servers, twins, conveyors, hand-over places, failures on
    both bases, saturated and timed sources): identical records."""
    assert_same(case[0], 20_000.0, seed)


CACHED = """
import time
start = time.perf_counter()
from taktline.plant import load_plant
from taktline.sim import run_twin
r = run_twin(load_plant("single_station"), horizon_s=3600.0)
print(r.compile_s, time.perf_counter() - start)
"""


def test_a_new_process_loads_the_compiled_engine_from_the_cache() -> None:
    """``cache=True``: once compiled (here, by this process), another process loads the
    machine code instead of compiling for tens of seconds."""
    run_twin(load_plant("single_station"), horizon_s=3600.0)
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", CACHED], capture_output=True, text=True,
                         check=True, cwd=root, env={**os.environ})
    compile_s, total_s = (float(x) for x in out.stdout.split())
    assert compile_s < 10.0, out.stdout
    assert total_s < 20.0, out.stdout
