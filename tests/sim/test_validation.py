"""The twin against queueing and production-line theory.

Each test names its formula and source; reference values are from
../shared/reference/validation.md, where each was computed from the formula (and the
two-machine line also checked against a Markov chain). Stochastic tests use independent
replications (different seeds) and Student-t 95 % intervals (Law 2015, section 9.4.1);
fixed seeds make every test deterministic.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest

from taktline.analysis import compute_kpis
from taktline.analysis.stats import Interval, mean_ci
from taktline.plant import Plant
from taktline.sim import Run
from tests.builders import plant, run, serial_line, table


def _replicate(p: Plant, horizon: float, warmup: float, reps: int,
               metric: Callable[[Run], float], seed0: int = 100) -> Interval:
    values = []
    for k in range(reps):
        r = run(p, horizon, seed=seed0 + k, warmup_s=warmup)
        values.append(metric(r))
    return mean_ci(values)


def _lead_time(r: Run) -> float:
    return compute_kpis(r).flow.lead_time_mean_s


def _jph(r: Run) -> float:
    return compute_kpis(r).flow.throughput_jph


def _queue(cycle: dict[str, Any], servers: int, interval: dict[str, Any]) -> Plant:
    return plant(
        stations=[{"id": "server", "servers": servers, "cycle": cycle, "inputs": ["q"],
                   "outputs": ["done"]}],
        buffers=[{"id": "q", "capacity": None}, {"id": "done", "capacity": 1}],
        sources=[{"kind": "vehicles", "id": "arrivals", "to": "q", "interval": interval}],
    )


def test_mm1_sojourn_time() -> None:
    """M/M/1: W = 1/(mu - lambda). lambda = 0.8, mu = 1: W = 5.
    Gross, Shortle, Thompson & Harris, Fundamentals of Queueing Theory, 4th ed. (2008),
    section 2.2; Kleinrock, Queueing Systems vol. 1 (1975), ch. 3."""
    p = _queue({"dist": "exponential", "mean": 1.0}, 1, {"dist": "exponential", "mean": 1.25})
    ci = _replicate(p, horizon=32_000, warmup=2_000, reps=20, metric=_lead_time)
    assert 5.0 in ci, ci


def test_mmc_sojourn_time_erlang_c() -> None:
    """M/M/c: W = C(c, a)/(c mu - lambda) + 1/mu (Erlang C). lambda = 4.5, mu = 1, c = 5:
    P(wait) = 0.762493, W = 2.524986. Gross et al. (2008) section 2.3; Kleinrock (1975)
    section 3.5."""
    p = _queue({"dist": "exponential", "mean": 1.0}, 5,
               {"dist": "exponential", "mean": 1 / 4.5})
    ci = _replicate(p, horizon=6_000, warmup=500, reps=20, metric=_lead_time)
    assert 2.524986 in ci, ci


def test_jackson_tandem_sojourn_time() -> None:
    """Jackson tandem network: W = sum 1/(mu_i - lambda). lambda = 1/120 s,
    mu = 1/100, 1/110, 1/90: W = 600 + 1320 + 360 = 2280 s. Jackson, Operations Research
    5 (1957) 518-521; Burke, Operations Research 4 (1956) 699-704."""
    p = serial_line(
        [{"dist": "exponential", "mean": m} for m in (100, 110, 90)], capacity=None,
        source={"interval": {"dist": "exponential", "mean": 120}})
    ci = _replicate(p, horizon=1_500_000, warmup=100_000, reps=20, metric=_lead_time)
    assert 2280.0 in ci, ci


@pytest.mark.parametrize(("cycle", "capacity", "expected"),
                         [(110, 2, 5449), (110, 0, 5449), (120, 2, 4990)])
def test_deterministic_serial_line_exact_count(cycle: float, capacity: int,
                                               expected: int) -> None:
    """Deterministic serial line, saturated source, blocking after service: part k
    leaves at (n + k) t, so N(T) = ceil(T/t) - n. 50 x 110 s for one week: 5 449; at
    120 s: 4 990 (validation.md section 4). Exact, for buffer 2 and buffer 0."""
    r = run(serial_line([cycle] * 50, capacity=capacity), 604_800.0)
    assert r.completed == expected == math.ceil(604_800 / cycle) - 50


def _failing_station(basis: str, source: dict[str, Any] | None = None) -> Plant:
    fail = [{"ttf": {"dist": "exponential", "mean": "8h"},
             "ttr": {"dist": "exponential", "mean": "5min"}, "basis": basis}]
    return serial_line([110], failures=[fail], source=source)


@pytest.mark.parametrize("basis", ["operating", "calendar"])
def test_single_station_with_failures(basis: str) -> None:
    """Saturated machine with failures and preempt-resume: TH = A/t, A = MTBF/(MTBF+MTTR).
    MTBF 8 h, MTTR 5 min, 110 s: A = 0.989691, TH = 32.3899 parts/h (validation.md
    section 5; Buzacott & Shanthikumar, Stochastic Models of Manufacturing Systems (1993),
    ch. 5). A saturated machine never idles, so both failure bases give the same rate."""
    ci = _replicate(_failing_station(basis), horizon=4 * 604_800, warmup=3_600, reps=20,
                    metric=_jph)
    assert 32.3899 in ci, ci


def test_failure_bases_differ_when_the_station_idles() -> None:
    """A station busy half of the time (fed every 220 s, 110 s cycle): with the operating
    basis it fails once per 8 h of work (about 0.5/8 per hour); with the calendar basis
    once per MTBF + MTTR of calendar time (1/(8 h + 5 min) per hour). Renewal-reward
    theorem, e.g. Ross, Introduction to Probability Models, 11th ed. (2014), section 7.4."""
    horizon = 12 * 604_800.0

    def rate(basis: str) -> Interval:
        p = _failing_station(basis, source={"interval": 220})
        return _replicate(p, horizon, 0.0, 10,
                          lambda r: len(table(r, "downtime")["start"]) / (horizon / 3600))

    busy = 110 / 220
    operating, calendar = rate("operating"), rate("calendar")
    # the operating clock runs half the time (plus the repair preemptions, negligible)
    assert busy / 8.0 in operating, operating
    assert 1 / (8.0 + 5 / 60) in calendar, calendar
    assert calendar.low > operating.high


# (N, p1, r1, p2, r2, P) from validation.md section 6 (closed form = Markov chain)
GERSHWIN = [
    (10, 0.01, 0.1, 0.01, 0.1, 0.8561749),
    (5, 0.05, 0.2, 0.02, 0.3, 0.7816400),
    (10, 0.005, 0.1, 0.01, 0.1, 0.8856130),
    (4, 0.003819, 0.3667, 0.003819, 0.3667, 0.9827375),
]


@pytest.mark.parametrize(("n", "p1", "r1", "p2", "r2", "expected"), GERSHWIN)
def test_gershwin_two_machine_line(n: int, p1: float, r1: float, p2: float, r2: float,
                                   expected: float) -> None:
    """Gershwin's deterministic two-machine line with geometric failures and repairs:
    P = e2 (1 - p(0,0,1)) from the closed form. Gershwin, Manufacturing Systems
    Engineering (1994) ch. 3 section 3.5; Buzacott (1967).

    Slot = 1 s. A machine fails at the start of a slot it would work in with probability
    p, never in the slot it is repaired in: TTF in operating time = G slots after a
    repair, G ~ Geometric(p) on {1, 2, ...}; it is down G' ~ Geometric(r) slots.
    Gershwin's level n counts the part in M2 and the part M1 holds while blocked, so his
    buffer N is our buffer of N - 2 places (blocking after service: one place in M1, one
    in M2)."""
    def fails(p: float, r: float) -> list[dict[str, Any]]:
        return [{"ttf": {"dist": "geometric", "p": p, "step": 1},
                 "ttr": {"dist": "geometric", "p": r, "step": 1}}]

    line = serial_line([1, 1], capacity=n - 2, failures=[fails(p1, r1), fails(p2, r2)])
    ci = _replicate(line, horizon=200_000, warmup=2_000, reps=10,
                    metric=lambda r: compute_kpis(r).flow.throughput_jph / 3600)
    assert expected in ci, ci


def test_infinite_buffer_line_bound() -> None:
    """With unbounded buffers the line makes min_i A_i / t_i (Buzacott 1967; Buzacott &
    Shanthikumar 1993 ch. 5): stations of 100, 100 and 110 s, each MTBF 8 h and MTTR
    5 min: 0.989691 x 3600/110 = 32.3899 parts/h."""
    fail = [{"ttf": {"dist": "exponential", "mean": "8h"},
             "ttr": {"dist": "exponential", "mean": "5min"}}]
    line = serial_line([100, 100, 110], capacity=None, failures=[fail] * 3)
    ci = _replicate(line, horizon=4 * 604_800, warmup=86_400, reps=20, metric=_jph)
    assert 32.3899 in ci, ci


def test_active_period_method_names_the_slow_station() -> None:
    """Roser, Nakano & Tanaka, WSC 2001 and 2002: in a serial line with one clearly
    slower station, the active period method names it (largest sole + shifting share)."""
    fail = [{"ttf": {"dist": "exponential", "mean": "4h"},
             "ttr": {"dist": "exponential", "mean": "5min"}}]
    line = serial_line([100, 100, 112, 100, 100], capacity=3, failures=[fail] * 5)
    r = run(line, 3 * 86_400, warmup_s=3_600)
    ranking = compute_kpis(r).bottlenecks
    assert ranking[0].station == "m2"
    assert ranking[0].total_share > 2 * ranking[1].total_share
