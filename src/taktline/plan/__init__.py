"""What the plant should DO: order sequencing (and, later, stamping lots, AGV dispatch).

The names meant for ``taktline``'s public API (``taktline.solve_sequence`` ...)."""

from taktline.plan.dispatch import PathNetwork, Planner, Route, choose_agv
from taktline.plan.sequencing import (
    Score,
    SequenceProblem,
    SequenceResult,
    evaluate,
    load_instance,
    problem_from_orders,
    solve_sequence,
)

__all__ = [
    "PathNetwork",
    "Planner",
    "Route",
    "Score",
    "SequenceProblem",
    "SequenceResult",
    "choose_agv",
    "evaluate",
    "load_instance",
    "problem_from_orders",
    "solve_sequence",
]
