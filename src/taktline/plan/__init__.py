"""What the plant should DO: order sequencing (and, later, stamping lots, AGV dispatch).

The names meant for ``taktline``'s public API (``taktline.solve_sequence`` ...)."""

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
    "Score",
    "SequenceProblem",
    "SequenceResult",
    "evaluate",
    "load_instance",
    "problem_from_orders",
    "solve_sequence",
]
