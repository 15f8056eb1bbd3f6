"""``solve_sequence``: greedy construction, then local search, anytime.

The search runs in compiled chunks; between chunks the driver checks the clock, reports
improvements to the callback and stops at the time limit, the iteration limit or a
lower bound. A run is determined by its seed and its number of iterations (the chunking
only decides when the clock is read), so an iteration limit makes it reproducible.
Every result is re-scored by the exact evaluator; a disagreement raises
:class:`EvaluationMismatch` instead of returning a wrong score.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from taktline.errors import EvaluationMismatch, InfeasibleError, SequenceError
from taktline.plan.sequencing.evaluate import Score, check_order, evaluate
from taktline.plan.sequencing.greedy import greedy_order
from taktline.plan.sequencing.problem import Objective, SequenceProblem, check_batch_feasible
from taktline.plan.sequencing.search import (
    MOVE_NAMES,
    P_TARGET,
    S_BEST,
    S_ITER,
    S_MOVE,
    search,
)
from taktline.plan.sequencing.state import State, build_state

__all__ = [
    "EvaluationMismatch",
    "Improvement",
    "SequenceResult",
    "compile_solver",
    "greedy_sequence",
    "solve_sequence",
    "trivial_lower_bound",
]

Stop = Literal["time_limit", "iteration_limit", "lower_bound", "interrupted"]


@dataclass(frozen=True, slots=True)
class Improvement:
    """A new best sequence found during a run."""

    elapsed_s: float
    iteration: int
    hprc: int
    pcc: int
    lprc: int
    total: int


@dataclass(frozen=True)
class SequenceResult:
    """The best sequence a run found, its exact score and how the run went."""

    problem: SequenceProblem
    order: tuple[int, ...]
    """Day-D vehicle indices in build order (0 = the first vehicle of the instance)."""
    score: Score
    initial: Score
    """Score of the starting sequence (the greedy one unless one was given)."""
    iterations: int
    elapsed_s: float
    stopped: Stop
    seed: int
    history: tuple[Improvement, ...] = ()
    moves: dict[str, tuple[int, int]] = field(default_factory=dict)
    """Per move type: (tried, accepted)."""

    def to_frame(self) -> pd.DataFrame:
        """The sequence, one row per vehicle: position, vehicle, id, colour, options."""
        p = self.problem
        idx = np.asarray(self.order, dtype=np.int64)
        opts = ["+".join(p.option_names[j] for j in np.flatnonzero(p.options[i]))
                for i in idx.tolist()]
        return pd.DataFrame({
            "position": np.arange(1, len(idx) + 1),
            "vehicle": idx + 1,
            "id": [p.vehicle_ids[i] for i in idx.tolist()],
            "colour": [p.colour_names[c] for c in p.colours[idx].tolist()],
            "options": opts,
        })

    def to_dict(self) -> dict[str, object]:
        """Plain values for JSON."""
        return {
            "instance": self.problem.name,
            "score": self.score.to_dict(),
            "initial": self.initial.to_dict(),
            "iterations": self.iterations,
            "elapsed_s": round(self.elapsed_s, 3),
            "stopped": self.stopped,
            "seed": self.seed,
            "order": [i + 1 for i in self.order],
            "history": [
                {"elapsed_s": round(h.elapsed_s, 3), "iteration": h.iteration, "hprc": h.hprc,
                 "pcc": h.pcc, "lprc": h.lprc, "total": h.total}
                for h in self.history
            ],
        }


def trivial_lower_bound(problem: SequenceProblem) -> int:
    """A bound no sequence beats: every colour needs ``ceil(c / L)`` batches, one colour
    change per batch except a first batch that continues day D-1's last colour."""
    counts = problem.colour_counts()
    limit = problem.batch_limit or max(problem.n, 1)
    batches = sum(math.ceil(c / limit) for c in counts.tolist() if c)
    if problem.m and counts[problem.prefix_colours[-1]] > 0:
        batches -= 1
    return problem.weights[1] * max(int(batches), 0)


def greedy_sequence(problem: SequenceProblem) -> NDArray[np.int64]:
    """The greedy construction alone (see :mod:`taktline.plan.sequencing.greedy`)."""
    check_batch_feasible(problem)
    st = build_state(problem, seed=0)
    if not greedy_order(st.opt, st.col, st.con, st.par, st.cls_opt, st.cls_col, st.members,
                        st.starts, st.seq):
        raise InfeasibleError(f"{problem.name}: the greedy construction cannot meet the "
                              f"paint batch limit {problem.batch_limit}")
    return st.seq[problem.m:].astype(np.int64)


@functools.cache
def compile_solver() -> None:
    """Compile (or load from numba's cache) the search kernels on a tiny problem, so that
    a run's time limit is spent searching. Runs once per process."""
    tiny = SequenceProblem(
        name="warm-up", colours=np.array([0, 1, 0, 1]), options=np.array([[1], [0], [1], [0]]),
        ratio_max=np.array([1]), ratio_window=np.array([2]), high_priority=np.array([True]),
        objectives=(Objective.HPRC, Objective.PCC), batch_limit=2,
        prefix_colours=np.array([0]), prefix_options=np.array([[1]]),
    )
    st = build_state(tiny, seed=0)
    _start(tiny, st, None)
    search(st.opt, st.col, st.cls, st.con, st.rem, st.par, st.seq, st.cnt, st.cost,
           st.best, st.bcost, st.rng, st.tmp, st.stats, 100)


def _start(problem: SequenceProblem, st: State, initial: Sequence[int] | None) -> Score:
    order = greedy_sequence(problem) if initial is None else check_order(problem, initial)
    score = evaluate(problem, order)
    if not score.feasible:
        raise SequenceError(f"{problem.name}: the starting sequence breaks the paint batch "
                            f"limit {problem.batch_limit} (a run of {score.longest_run})")
    st.seq[problem.m:] = order
    st.reset_cost()
    _agree(problem, st.cost, score, "start")
    st.best[:] = st.seq[problem.m:]
    st.bcost[:] = st.cost
    return score


def _agree(problem: SequenceProblem, cost: NDArray[np.int64], score: Score, when: str) -> None:
    got = (int(cost[0]), int(cost[1]), int(cost[2]), int(cost[3]))
    want = (score.total, score.hprc, score.pcc, score.lprc)
    if got != want or not score.feasible:
        raise EvaluationMismatch(
            f"{problem.name}: solver score (total, hprc, pcc, lprc) = {got} at {when}, but the "
            f"evaluator says {want} (batch limit {'kept' if score.feasible else 'broken'})"
        )


def solve_sequence(
    problem: SequenceProblem,
    time_limit_s: float | None = 10.0,
    *,
    seed: int = 0,
    iteration_limit: int | None = None,
    lower_bound: int | None = None,
    on_improvement: Callable[[Improvement], None] | None = None,
    initial: Sequence[int] | None = None,
) -> SequenceResult:
    """Sequence ``problem``'s day-D vehicles: greedy start, then local search.

    Stops at ``time_limit_s`` seconds, after ``iteration_limit`` moves, or as soon as the
    total reaches ``lower_bound`` (or the trivial bound, whichever is higher). With an
    iteration limit the result depends only on ``seed``. ``on_improvement`` is called
    with each new best (at most every few hundredths of a second). Raises
    :class:`InfeasibleError` when the paint batch limit cannot be met.
    """
    if time_limit_s is None and iteration_limit is None:
        raise ValueError("give a time limit, an iteration limit or both")
    compile_solver()
    t0 = time.perf_counter()
    check_batch_feasible(problem)
    st = build_state(problem, seed=seed)
    st.par[P_TARGET] = max(lower_bound or 0, trivial_lower_bound(problem))
    initial_score = _start(problem, st, initial)
    history: list[Improvement] = []

    def report() -> None:
        c = st.bcost
        imp = Improvement(time.perf_counter() - t0, int(st.stats[S_ITER]), int(c[1]),
                          int(c[2]), int(c[3]), int(c[0]))
        history.append(imp)
        if on_improvement is not None:
            on_improvement(imp)

    report()
    stopped = _run(st, t0, time_limit_s, iteration_limit, report)
    order = st.best.astype(np.int64)
    score = evaluate(problem, order)
    _agree(problem, st.bcost, score, "the end")
    nm = len(MOVE_NAMES)
    moves = {name: (int(st.stats[S_MOVE + nm + i]), int(st.stats[S_MOVE + i]))
             for i, name in enumerate(MOVE_NAMES)}
    return SequenceResult(
        problem=problem, order=tuple(order.tolist()), score=score, initial=initial_score,
        iterations=int(st.stats[S_ITER]), elapsed_s=time.perf_counter() - t0, stopped=stopped,
        seed=seed, history=tuple(history), moves=moves,
    )


def _run(st: State, t0: float, time_limit_s: float | None, iteration_limit: int | None,
         report: Callable[[], None]) -> Stop:
    """Search until a limit or the target; Ctrl-C stops with the best found so far (the
    compiled chunks are never cut, so the state is whole between them)."""
    try:
        return _chunks(st, t0, time_limit_s, iteration_limit, report)
    except KeyboardInterrupt:
        return "interrupted"


def _chunks(st: State, t0: float, time_limit_s: float | None, iteration_limit: int | None,
            report: Callable[[], None]) -> Stop:
    """Call the compiled search in chunks until a limit or the target is reached."""
    chunk = 2_000
    while True:
        if st.bcost[0] <= st.par[P_TARGET]:
            return "lower_bound"
        done = int(st.stats[S_ITER])
        if iteration_limit is not None and done >= iteration_limit:
            return "iteration_limit"
        now = time.perf_counter()
        if time_limit_s is not None and now - t0 >= time_limit_s:
            return "time_limit"
        todo = chunk if iteration_limit is None else min(chunk, iteration_limit - done)
        before = int(st.stats[S_BEST])
        search(st.opt, st.col, st.cls, st.con, st.rem, st.par, st.seq, st.cnt, st.cost,
               st.best, st.bcost, st.rng, st.tmp, st.stats, todo)
        if int(st.stats[S_BEST]) != before:
            report()
        spent = time.perf_counter() - now
        # aim at ~50 ms per chunk, never beyond the time left
        goal = 0.05 if time_limit_s is None else min(0.05, max(time_limit_s - (now - t0), 0.001))
        rate = todo / max(spent, 1e-6)
        chunk = int(min(max(rate * goal, 100), 10 * chunk + 100))
