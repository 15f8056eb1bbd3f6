"""The arrays the compiled search works on, built from a :class:`SequenceProblem`."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from taktline.plan.sequencing.greedy import class_table
from taktline.plan.sequencing.kernel import full_cost
from taktline.plan.sequencing.problem import SequenceProblem
from taktline.plan.sequencing.search import (
    MOVE_NAMES,
    P_BLOCK,
    P_FOCUS,
    P_KICK,
    P_LOCAL,
    P_MOVES,
    P_STALL,
)

__all__ = ["State", "build_state", "move_weights", "seed_state"]


@dataclass
class State:
    """Static data and mutable search state (see :mod:`.kernel` for the layout)."""

    opt: NDArray[np.int32]
    col: NDArray[np.int32]
    cls: NDArray[np.int32]
    con: NDArray[np.int64]
    rem: NDArray[np.int64]
    par: NDArray[np.int64]
    seq: NDArray[np.int32]
    cnt: NDArray[np.int32]
    cost: NDArray[np.int64]
    best: NDArray[np.int32]
    bcost: NDArray[np.int64]
    rng: NDArray[np.uint64]
    tmp: NDArray[np.int32]
    stats: NDArray[np.int64]
    cls_opt: NDArray[np.int64]
    cls_col: NDArray[np.int64]
    members: NDArray[np.int64]
    starts: NDArray[np.int64]
    con_order: NDArray[np.int64]
    """Problem constraint of each row of ``con`` (heaviest first)."""

    def reset_cost(self) -> None:
        """Recount every window and the colour changes of the current ``seq``."""
        full_cost(self.opt, self.col, self.con, self.par, self.seq, self.cnt, self.cost)


def seed_state(seed: int) -> NDArray[np.uint64]:
    """A non-zero xorshift state from any integer seed (splitmix64 finaliser)."""
    mask = (1 << 64) - 1
    z = (seed * 0x9E3779B97F4A7C15 + 0x632BE59BD9B4E019) & mask
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
    z ^= z >> 31
    return np.array([z or 0x2545F4914F6CDD1D], dtype=np.uint64)


def move_weights(problem: SequenceProblem) -> tuple[int, ...]:
    """How often each move type is drawn (out of the sum), by what the objective needs."""
    colours = len(set(problem.colours.tolist())) > 1 and problem.weights[1] > 0
    pcc_first = colours and problem.objectives[0].value == "pcc"
    weights = {
        "swap": 30,
        "colour swap": 25 if colours else 0,
        "insert": 20,
        "block": 10,
        "reverse": 15,
        "run move": (15 if pcc_first else 5) if colours else 0,
        "colour insert": 10 if pcc_first else 0,
    }
    return tuple(weights[name] for name in MOVE_NAMES)


def build_state(problem: SequenceProblem, seed: int) -> State:
    """Arrays for the kernel; constraints ordered by weight, heaviest first."""
    n, m, k = problem.n, problem.m, problem.k
    w_h, w_p, w_l = problem.weights
    weight = np.where(problem.high_priority, w_h, w_l).astype(np.int64)
    order = np.argsort(-weight, kind="stable")
    assert problem.prefix_options is not None
    opt = np.concatenate([problem.options, problem.prefix_options], axis=0)[:, order]
    con = np.zeros((k, 6), dtype=np.int64)
    for row, j in enumerate(order.tolist()):
        lo, hi = problem.window_starts(j)
        con[row] = (problem.ratio_max[j], problem.ratio_window[j], lo, hi, weight[j],
                    int(problem.high_priority[j]))
    rem = np.zeros(k + 1, dtype=np.int64)
    for row in range(k - 1, -1, -1):
        rem[row] = rem[row + 1] + con[row, 4] * 3 * con[row, 1]
    cls, members, starts = class_table(problem.colours, problem.options)
    ncls = len(starts) - 1
    cls_opt = problem.options[members[starts[:-1]]].astype(np.int64)
    cls_col = problem.colours[members[starts[:-1]]].astype(np.int64)
    all_cls = np.concatenate([cls, ncls + np.arange(m)]).astype(np.int32)
    limit = problem.batch_limit if problem.batch_limit is not None else n + 1
    pmax = int(problem.ratio_window.max(initial=1))
    par = np.zeros(P_MOVES + len(MOVE_NAMES), dtype=np.int64)
    par[:6] = (m, n, limit, w_h, w_p, w_l)
    par[P_LOCAL] = max(1, min(max(pmax, 8), n - 1))
    par[P_BLOCK] = max(1, min(max(pmax, limit if limit <= n else 16), n // 2))
    par[P_FOCUS] = 30
    par[P_STALL] = 5_000 * max(n, 20)
    par[P_KICK] = max(2, n // 100)
    par[P_MOVES:] = move_weights(problem)
    seq = np.concatenate([n + np.arange(m), np.arange(n)])
    width = max((int(con[j, 3] - con[j, 2] + 1) for j in range(k)), default=1)
    return State(
        opt=np.ascontiguousarray(opt, dtype=np.int32),
        col=np.concatenate([problem.colours, problem.prefix_colours]).astype(np.int32),
        cls=all_cls,
        con=con,
        rem=rem,
        par=par,
        seq=seq.astype(np.int32),
        cnt=np.zeros((k, max(width, 1)), dtype=np.int32),
        cost=np.zeros(4 + k, dtype=np.int64),
        best=np.arange(n, dtype=np.int32),
        bcost=np.zeros(4 + k, dtype=np.int64),
        rng=seed_state(seed),
        tmp=np.zeros(n + m, dtype=np.int32),
        stats=np.zeros(5 + 2 * len(MOVE_NAMES), dtype=np.int64),
        cls_opt=cls_opt,
        cls_col=cls_col,
        members=members,
        starts=starts,
        con_order=order.astype(np.int64),
    )
