"""The solver: reproducible, anytime, within the batch limit, checked by the evaluator."""

from __future__ import annotations

import numpy as np
import pytest

from taktline.errors import InfeasibleError, SequenceError
from taktline.plan.sequencing import (
    Improvement,
    check_batch_feasible,
    evaluate,
    greedy_sequence,
    read_csplib,
    read_roadef,
    solve_sequence,
    trivial_lower_bound,
)
from tests.plan.cases import BENCH, H, L, P, problem

ITER = 200_000


def test_same_seed_and_iteration_limit_same_result() -> None:
    p = read_roadef(BENCH / "roadef2005" / "B" / "035_ch1_RAF_EP_ENP_S22_J3")
    a = solve_sequence(p, None, seed=7, iteration_limit=ITER)
    b = solve_sequence(p, None, seed=7, iteration_limit=ITER)
    c = solve_sequence(p, None, seed=8, iteration_limit=ITER)
    assert a.order == b.order and a.score == b.score and a.iterations == b.iterations == ITER
    assert a.stopped == "iteration_limit"
    assert c.order != a.order


def test_iteration_limit_result_does_not_depend_on_chunking() -> None:
    """A run cut into compiled chunks by the clock equals one run of the same length:
    a time limit long enough to finish the iterations gives the same sequence."""
    p = read_csplib(BENCH / "csplib" / "set1_classic_100cars" / "10_93.txt")
    a = solve_sequence(p, None, seed=3, iteration_limit=50_000)
    b = solve_sequence(p, 60.0, seed=3, iteration_limit=50_000)
    assert a.order == b.order


def test_improves_renaults_order_and_keeps_the_batch_limit() -> None:
    p = read_roadef(BENCH / "roadef2005" / "A" / "048_39_1_EP_RAF_ENP")
    renault = evaluate(p, np.arange(p.n))
    res = solve_sequence(p, None, seed=1, iteration_limit=ITER)
    assert res.score.feasible and res.score.longest_run <= 10
    assert res.score.total < renault.total
    assert res.score == evaluate(p, res.order)
    assert res.score.total <= res.initial.total


def test_improvements_are_reported_in_order_and_end_at_the_result() -> None:
    p = read_csplib(BENCH / "csplib" / "set1_classic_100cars" / "19_71.txt")
    seen: list[Improvement] = []
    res = solve_sequence(p, None, seed=2, iteration_limit=ITER, on_improvement=seen.append)
    totals = [i.total for i in seen]
    assert len(totals) >= 2 and totals == sorted(totals, reverse=True)
    assert len(set(totals)) == len(totals)
    assert totals[0] == res.initial.total and totals[-1] == res.score.total
    assert list(res.history) == seen


def test_stops_at_the_lower_bound() -> None:
    p = read_csplib(BENCH / "csplib" / "example_dincbas_10cars.txt")
    res = solve_sequence(p, 30.0, seed=0)
    assert res.stopped == "lower_bound" and res.score.total == 0
    q = read_csplib(BENCH / "csplib" / "set1_classic_100cars" / "19_71.txt")
    res = solve_sequence(q, 30.0, seed=0, lower_bound=10**9)
    assert res.stopped == "lower_bound" and res.iterations == 0


def test_trivial_lower_bound_counts_batches() -> None:
    """Colours A x5, B x2 with L = 2: A needs 3 batches, B one; the first batch may
    continue D-1's last colour A, so at least 3 changes; PCC has rank 1 -> 3 * 10**6."""
    p = problem([0] * 5 + [1] * 2, [[0]] * 7, [(1, 1, True)], [0], [[0]],
                objectives=(P, H, L), batch_limit=2)
    assert trivial_lower_bound(p) == 3_000_000
    res = solve_sequence(p, None, seed=0, iteration_limit=20_000)
    assert res.score.pcc == 4 and res.score.feasible  # A A B A A B A: 4 changes are needed


def test_tight_batch_limit_is_met() -> None:
    """c = 4 cars of A, 1 of B, L = 2: 4 <= 2 * (5 - 4 + 1), so only A A B A A fits."""
    p = problem([0, 0, 0, 0, 1], [[0]] * 5, [(1, 1, True)], objectives=(H, P),
                batch_limit=2)
    check_batch_feasible(p)
    order = greedy_sequence(p)
    assert p.colours[order].tolist() == [0, 0, 1, 0, 0]
    res = solve_sequence(p, None, seed=0, iteration_limit=1000)
    assert p.colours[list(res.order)].tolist() == [0, 0, 1, 0, 0]


def test_infeasible_batch_limit_is_reported() -> None:
    """c = 5 cars of A, 1 of B, L = 2: 5 > 2 * (6 - 5 + 1) = 4."""
    p = problem([0] * 5 + [1], [[0]] * 6, [(1, 1, True)], batch_limit=2)
    with pytest.raises(InfeasibleError, match="paint batch limit 2 cannot be met: colour 0 "
                       "has 5 of 6 vehicles"):
        solve_sequence(p, 1.0)


def test_a_start_that_breaks_the_batch_limit_is_refused() -> None:
    p = problem([0, 0, 0, 1], [[0]] * 4, [(1, 1, True)], batch_limit=2)
    with pytest.raises(SequenceError, match="breaks the paint batch limit 2"):
        solve_sequence(p, 1.0, initial=[0, 1, 2, 3])
    res = solve_sequence(p, None, iteration_limit=100, initial=[0, 3, 1, 2])
    assert res.score.feasible


def test_feasible_csplib_instance_solved_to_zero() -> None:
    p = read_csplib(BENCH / "csplib" / "set2_200cars_60-90" / "60-01.txt")
    res = solve_sequence(p, 30.0, seed=0)
    assert res.score.total == 0 and res.stopped == "lower_bound"


def test_result_converts_to_a_frame_and_json() -> None:
    p = read_csplib(BENCH / "csplib" / "example_dincbas_10cars.txt")
    res = solve_sequence(p, None, seed=0, iteration_limit=5_000)
    frame = res.to_frame()
    assert frame["vehicle"].tolist() == [i + 1 for i in res.order]
    assert list(frame.columns) == ["position", "vehicle", "id", "colour", "options"]
    d = res.to_dict()
    assert d["score"]["total"] == res.score.total
    assert sorted(d["order"]) == list(range(1, 11))


def test_ctrl_c_returns_the_best_found_so_far() -> None:
    p = read_csplib(BENCH / "csplib" / "set1_classic_100cars" / "10_93.txt")
    seen: list[Improvement] = []

    def interrupt_on_second(imp: Improvement) -> None:
        seen.append(imp)
        if len(seen) == 2:
            raise KeyboardInterrupt

    res = solve_sequence(p, 30.0, seed=0, on_improvement=interrupt_on_second)
    assert res.stopped == "interrupted" and len(seen) == 2
    assert res.score.total == seen[-1].total < res.initial.total
