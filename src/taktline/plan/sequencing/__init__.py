"""Order sequencing for the mixed-model line (ROADEF 2005 / CSPLib car sequencing).

Read an instance (:func:`load_instance`, :func:`read_roadef`, :func:`read_csplib`,
:func:`problem_from_orders`), score a sequence exactly (:func:`evaluate`) and find a good
one (:func:`solve_sequence`). Rules and choices: ``docs/sequencing.md``.
"""

from taktline.plan.sequencing.csplib import parse_csplib, read_csplib
from taktline.plan.sequencing.evaluate import Score, evaluate
from taktline.plan.sequencing.load import load_instance
from taktline.plan.sequencing.plant import (
    orders_in_sequence,
    paint_batch_limit,
    problem_from_orders,
)
from taktline.plan.sequencing.problem import (
    Objective,
    SequenceProblem,
    check_batch_feasible,
)
from taktline.plan.sequencing.roadef import read_roadef
from taktline.plan.sequencing.solution import (
    format_solution,
    parse_solution,
    read_solution,
    write_solution,
)
from taktline.plan.sequencing.solver import (
    EvaluationMismatch,
    Improvement,
    SequenceResult,
    greedy_sequence,
    solve_sequence,
    trivial_lower_bound,
)

__all__ = [
    "EvaluationMismatch",
    "Improvement",
    "Objective",
    "Score",
    "SequenceProblem",
    "SequenceResult",
    "check_batch_feasible",
    "evaluate",
    "format_solution",
    "greedy_sequence",
    "load_instance",
    "orders_in_sequence",
    "paint_batch_limit",
    "parse_csplib",
    "parse_solution",
    "problem_from_orders",
    "read_csplib",
    "read_roadef",
    "read_solution",
    "solve_sequence",
    "trivial_lower_bound",
    "write_solution",
]
