"""KPIs from hand-built records, worked out by hand, and on real runs against theory."""

from __future__ import annotations

import math

import numpy as np
import pytest

from taktline.analysis import (
    Window,
    compute_kpis,
    oee_from_elements,
    shifting_bottleneck,
    takt_attainment,
    time_average_wip,
)
from taktline.analysis.stats import mean_ci
from taktline.plant import load_plant
from taktline.sim import Run, run_twin
from taktline.sim.records import RecordLog, State
from tests.builders import serial_line


def _hand_run(horizon: float) -> tuple[Run, RecordLog]:
    plant = serial_line([110])
    log = RecordLog(["m0"], ["b0", "b1"], ["v"], ["c"], [], [])
    run = Run(plant=plant, seed=0, horizon_s=horizon, warmup_s=0.0, records=log, events=0,
              wall_s=0.0, released=0, completed=0)
    return run, log


def test_oee_exact_from_hand_built_log() -> None:
    """ISO 22400-2 validation case (validation.md section 8): PRI 110 s, PBT 24 h,
    ADOT 870 s, ADET 3 000 s, no setup, PQ 745, GQ 740 => APT 82 530 s,
    A = 0.95521, E = 110 x 745 / 82 530 = 0.99297, Q = 0.99329, OEE = 0.94213."""
    run, log = _hand_run(86_400.0)
    state = log.states[0].appender()
    state(0.0, State.WORKING, 1, 0, 0)  # time, state, servers working / in setup / blocked
    state(82_530.0, State.FAILED, 0, 0, 0)
    state(83_400.0, State.STARVED, 0, 0, 0)
    op = log.ops[0].appender()
    for i in range(745):
        op(i * 110.0, i * 110.0 + 110.0, i, 0, 0 if i < 5 else 1)
    oee = compute_kpis(run).stations[0].oee
    assert oee.apt_s == 82_530.0
    assert (oee.pq, oee.gq) == (745, 740)
    assert round(oee.availability, 5) == 0.95521
    assert round(oee.effectiveness, 5) == 0.99297
    assert round(oee.quality, 5) == 0.99329
    assert round(oee.oee, 5) == 0.94213


def test_oee_effectiveness_above_one_is_flagged_not_capped() -> None:
    o = oee_from_elements(pbt=100, adot=0, adet=0, aust=0, pri_pq=120, pq=1, gq=1)
    assert o.effectiveness == pytest.approx(1.2)
    assert o.effectiveness_above_one


def test_shifting_bottleneck_worked_example() -> None:
    """Roser et al. 2002. A is active [0,10) and [20,30); B is active [5,27).
    Momentary bottlenecks: A1 on [0,5), B on [5,27), A2 on [27,30). Overlaps
    A1 & B = 5 s and B & A2 = 7 s are shifting; A sole = 5 + 3 = 8 s, shifting 12 s;
    B sole = 22 - 12 = 10 s, shifting 12 s. Shares of a 30 s window."""
    periods = [(np.array([0.0, 20.0]), np.array([10.0, 30.0])),
               (np.array([5.0]), np.array([27.0]))]
    ranking = shifting_bottleneck(periods, ["A", "B"], Window(0.0, 30.0))
    by = {b.station: b for b in ranking}
    assert [b.station for b in ranking] == ["B", "A"]
    assert by["A"].sole_share == pytest.approx(8 / 30)
    assert by["A"].shifting_share == pytest.approx(12 / 30)
    assert by["B"].sole_share == pytest.approx(10 / 30)
    assert by["B"].shifting_share == pytest.approx(12 / 30)


def test_takt_attainment_counts_intervals_with_a_vehicle() -> None:
    """Window 720 s, takt 120 s: six intervals; departures at 10, 130, 250, 255, 600
    fall into intervals 0, 1, 2, 2, 5 -> 4 of 6 intervals delivered."""
    dep = np.array([10.0, 130.0, 250.0, 255.0, 600.0])
    assert takt_attainment(dep, Window(0.0, 720.0), 120.0) == pytest.approx(4 / 6)


def test_time_average_wip() -> None:
    """Entries 0, 10, 20; exits 30, still inside, 25; window [0, 40): 30 + 30 + 5 item-s."""
    wip = time_average_wip(np.array([0.0, 10.0, 20.0]), np.array([30.0, math.nan, 25.0]),
                           Window(0.0, 40.0))
    assert wip == pytest.approx(65 / 40)


def test_deterministic_flow_kpis() -> None:
    """One 100 s station, saturated: a car leaves every 100 s; in [1000, 11000) exactly
    100 cars, 36 JPH, inter-departure 100 s, lead time 100 s + the 100 s wait in the
    release buffer of one place = 200 s, takt 100 s attained in every interval."""
    r = run_twin(serial_line([100], takt=100), horizon_s=11_000, warmup_s=1_000)
    k = compute_kpis(r)
    assert k.flow.vehicles_completed == 100
    assert k.flow.throughput_jph == pytest.approx(36.0)
    assert k.flow.mean_interdeparture_s == pytest.approx(100.0)
    assert k.flow.lead_time_mean_s == pytest.approx(200.0)
    assert k.flow.takt_attainment == 1.0


def test_littles_law_on_the_five_station_plant() -> None:
    """Little's law L = lambda W (Little, Operations Research 9 (1961) 383-387) holds for
    the measured WIP, throughput and lead time of a real run (up to the window edges)."""
    k = compute_kpis(run_twin(load_plant("five_station_agv"), horizon_s=8 * 86_400,
                              warmup_s=86_400, seed=4))
    lam = k.flow.throughput_jph / 3600
    assert k.flow.wip_mean == pytest.approx(lam * k.flow.lead_time_mean_s, rel=0.01)


def test_station_shares_sum_to_one() -> None:
    k = compute_kpis(run_twin(load_plant("five_station_agv"), horizon_s=86_400, seed=2))
    for s in k.stations:
        assert sum(s.shares.values()) == pytest.approx(1.0)


def test_mean_ci_known_case() -> None:
    """Student t interval (Law 2015, 9.4.1): 1..5 -> mean 3, s = sqrt(2.5),
    t(4, 0.975) = 2.776445 -> half-width 1.963243."""
    ci = mean_ci([1, 2, 3, 4, 5])
    assert ci.mean == 3.0
    assert ci.half_width == pytest.approx(2.776445 * math.sqrt(2.5) / math.sqrt(5), rel=1e-6)
    assert 4.9 in ci and 5.0 not in ci
