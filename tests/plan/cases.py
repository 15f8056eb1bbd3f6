"""Shared helpers of the sequencing tests: where the benchmark instances are, and a
builder for small hand-made problems."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from taktline.plan.sequencing import Objective, SequenceProblem
from taktline.plan.sequencing.problem import WindowRule

BENCH = Path(__file__).resolve().parents[2].parent / "shared" / "benchmarks"
H, P, L = Objective.HPRC, Objective.PCC, Objective.LPRC


def problem(colours: list[int], options: list[list[int]], ratios: list[tuple[int, int, bool]],
            prefix_colours: list[int] | None = None,
            prefix_options: list[list[int]] | None = None,
            objectives: tuple[Objective, ...] = (H, P, L), batch_limit: int | None = None,
            windows: WindowRule = "roadef") -> SequenceProblem:
    k = len(ratios)
    return SequenceProblem(
        name="hand", colours=np.array(colours), options=np.array(options).reshape(-1, k),
        ratio_max=np.array([r[0] for r in ratios]), ratio_window=np.array([r[1] for r in ratios]),
        high_priority=np.array([r[2] for r in ratios]), objectives=objectives,
        batch_limit=batch_limit, prefix_colours=np.array(prefix_colours or [], dtype=int),
        prefix_options=np.array(prefix_options or [], dtype=int).reshape(-1, k),
        windows=windows,
    )
