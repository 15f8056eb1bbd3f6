"""The incremental move evaluation agrees with a full recount after every move.

Each random move is scored by the kernel's deltas (colour changes, ratio violations,
batch limit), applied, and then the whole sequence is recounted from scratch and scored
by the exact evaluator: the three must agree. Rules: ``docs/sequencing.md``.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from taktline.plan.sequencing import Objective, SequenceProblem, evaluate
from taktline.plan.sequencing.kernel import (
    REVERSE,
    ROTATE,
    SWAP,
    apply_move,
    batch_ok,
    block_ratio,
    colour_delta,
    swap_ratio,
)
from taktline.plan.sequencing.state import build_state


@st.composite
def problems(draw: st.DrawFn) -> SequenceProblem:
    """Small random problems: either rule, with or without day D-1, 0-3 constraints."""
    n = draw(st.integers(2, 24))
    m = draw(st.integers(0, 5))
    k = draw(st.integers(0, 3))
    colours = draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    windows = [int(rng.integers(1, 7)) for _ in range(k)]
    return SequenceProblem(
        name="random",
        colours=rng.integers(0, colours, n),
        options=rng.integers(0, 2, (n, k)),
        ratio_max=np.array([int(rng.integers(0, p + 1)) for p in windows], dtype=int),
        ratio_window=np.array(windows, dtype=int),
        high_priority=rng.integers(0, 2, k).astype(bool),
        objectives=draw(st.permutations([Objective.HPRC, Objective.PCC, Objective.LPRC])),
        prefix_colours=rng.integers(0, colours, m),
        prefix_options=rng.integers(0, 2, (m, k)),
        windows=draw(st.sampled_from(["roadef", "full"])),
        colour_names=tuple(str(c) for c in range(colours)),
    )


def _random_move(rng: np.random.Generator, m: int, n: int) -> tuple[int, int, int, int]:
    kind = int(rng.integers(0, 3))
    if kind == SWAP:
        a, c = sorted(int(x) for x in rng.choice(np.arange(m, m + n), 2, replace=False))
        return kind, a, 0, c
    a, b, c = sorted(int(x) for x in rng.choice(np.arange(m, m + n + 1), 3, replace=False))
    return (kind, a, b, c) if kind == ROTATE else (REVERSE, a, 0, c)


@settings(max_examples=150, deadline=None)
@given(problems(), st.integers(0, 2**32 - 1), st.integers(1, 6))
def test_move_deltas_match_a_full_recount(p: SequenceProblem, seed: int, limit: int) -> None:
    st_ = build_state(p, seed=0)
    st_.rem[:] = 1 << 60  # never cut a move short: every delta must be exact
    st_.reset_cost()
    rng = np.random.default_rng(seed)
    out = np.zeros(2 + p.k, dtype=np.int64)
    m, n = p.m, p.n
    w_h, w_p, w_l = p.weights
    for _ in range(25):
        kind, a, b, c = _random_move(rng, m, n)
        before = st_.cost.copy()
        feasible_before = evaluate(p, st_.seq[m:]).longest_run <= limit
        dp = colour_delta(st_.col, st_.seq, m, kind, a, b, c)
        if kind == SWAP:
            total = swap_ratio(st_.opt, st_.con, st_.rem, st_.seq, st_.cnt, a, c, w_p * dp, out)
        else:
            total = block_ratio(st_.opt, st_.con, st_.rem, st_.seq, st_.cnt, kind, a, b, c,
                                w_p * dp, out)
        ok = batch_ok(st_.col, st_.seq, m, limit, kind, a, b, c)
        apply_move(st_.opt, st_.con, st_.seq, st_.cnt, st_.tmp, kind, a, b, c)
        cnt = st_.cnt.copy()
        st_.reset_cost()
        assert (st_.cnt == cnt).all(), "window counts drifted"
        assert st_.cost[1] - before[1] == out[0]
        assert st_.cost[2] - before[2] == dp
        assert st_.cost[3] - before[3] == out[1]
        assert total == w_h * out[0] + w_p * dp + w_l * out[1]
        score = evaluate(p, st_.seq[m:])
        assert (score.total, score.hprc, score.pcc, score.lprc) == tuple(st_.cost[:4].tolist())
        assert (st_.cost[4:] - before[4:] == out[2:]).all()
        assert st_.cost[4:].tolist() == [score.violations[j] for j in st_.con_order]
        if feasible_before:  # from a feasible sequence, the kernel's check is exact
            assert ok == (score.longest_run <= limit)
