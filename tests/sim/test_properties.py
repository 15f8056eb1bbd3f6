"""Properties every run must have, on random small plants (hypothesis)."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from taktline.plant import Plant
from tests.builders import run
from tests.strategies import small_plants

PROFILE = settings(max_examples=25, deadline=None,
                   suppress_health_check=[HealthCheck.too_slow])


@PROFILE
@given(small_plants(), st.integers(0, 2**31 - 1))
def test_conservation(case: tuple[Plant, float], seed: int) -> None:
    """Every released vehicle is either dispatched or still inside, and what is inside
    fits into the plant's places (buffers, servers)."""
    p, _ = case
    r = run(p, 5_000, seed=seed)
    inside = r.released - r.completed
    places = sum(b.capacity or 0 for b in p.buffers) + sum(s.servers for s in p.stations)
    assert 0 <= inside <= places
    dispatched = r.records.table("dispatch").column("vehicle")
    assert len(np.unique(dispatched)) == len(dispatched)  # nobody leaves twice
    assert set(dispatched.tolist()) <= set(r.records.table("release").column("vehicle").tolist())


@PROFILE
@given(small_plants(), st.integers(0, 2**31 - 1))
def test_buffer_levels_within_capacity(case: tuple[Plant, float], seed: int) -> None:
    p, _ = case
    r = run(p, 5_000, seed=seed, record_buffers=True)
    levels = r.records.table("buffer")
    buf, level = levels.column("buffer"), levels.column("level")
    assert (level >= 0).all()
    for i, spec in enumerate(p.buffers):
        if spec.capacity is not None and (buf == i).any():
            assert level[buf == i].max() <= spec.capacity


@PROFILE
@given(small_plants(), st.integers(0, 2**31 - 1))
def test_clock_never_goes_back(case: tuple[Plant, float], seed: int) -> None:
    p, _ = case
    horizon = 5_000.0
    r = run(p, horizon, seed=seed, record_buffers=True)
    log = r.records
    for i in range(len(p.stations)):
        times, _ = log.state_arrays(i)
        assert (np.diff(times) >= 0).all()
        ops = log.ops[i]
        assert (ops.column("end") >= ops.column("start")).all()
        assert (np.diff(ops.column("end")) >= 0).all() or p.stations[i].servers > 1
    for kind, col in (("dispatch", "time"), ("release", "time"), ("buffer", "time")):
        t = log.table(kind).column(col)
        assert (np.diff(t) >= 0).all()
        assert (t <= horizon).all()


@PROFILE
@given(small_plants(), st.integers(0, 2**31 - 1))
def test_throughput_never_above_the_bottleneck_rate(case: tuple[Plant, float],
                                                    seed: int) -> None:
    """No line can beat its slowest stage: at most horizon / (min cycle / servers) + the
    items that can be in process at the start."""
    p, slowest = case
    horizon = 5_000.0
    r = run(p, horizon, seed=seed)
    if slowest > 0:
        assert r.completed <= horizon / slowest + sum(s.servers for s in p.stations)
