"""Solution files: one day-D vehicle per line, in build order.

Each line is ``rank;ident``: ``rank`` is the vehicle's position among the day-D vehicles
of the instance file (1 = the first day-D line of ``vehicles.txt``, or the first car of
the CSPLib expansion), ``ident`` its identifier (ROADEF ``Ident``, CSPLib class),
written for people and checked when read. Lines starting with ``#`` are comments. The
rank, not the identifier, is the key: ROADEF identifiers are not always unique.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from taktline.errors import SequenceError
from taktline.plan.sequencing.evaluate import check_order
from taktline.plan.sequencing.problem import SequenceProblem

__all__ = ["format_solution", "parse_solution", "read_solution", "write_solution"]


def format_solution(problem: SequenceProblem, order: Sequence[int] | NDArray[np.integer]) -> str:
    """The text of a solution file for ``order`` (0-based day-D indices)."""
    arr = check_order(problem, order)
    lines = [
        f"# taktline sequence for {problem.name}: {problem.n} vehicles of day D in build order",
        "# rank;ident  (rank = position of the vehicle among day D in the instance file)",
    ]
    lines += [f"{i + 1};{problem.vehicle_ids[i]}" for i in arr.tolist()]
    return "\n".join(lines) + "\n"


def write_solution(problem: SequenceProblem, order: Sequence[int] | NDArray[np.integer],
                   path: str | Path) -> None:
    """Write ``order`` as a solution file."""
    Path(path).write_text(format_solution(problem, order), encoding="utf-8")


def read_solution(problem: SequenceProblem, path: str | Path) -> NDArray[np.int64]:
    """Read a solution file for ``problem``; raises :class:`SequenceError` naming file,
    line and field when it is malformed or not a permutation of day D."""
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SequenceError("no such file", file=name) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SequenceError(f"cannot read: {exc}", file=name) from exc
    return parse_solution(problem, text, filename=name)


def parse_solution(problem: SequenceProblem, text: str,
                   filename: str = "<solution>") -> NDArray[np.int64]:
    """Parse solution text (see the module docstring) into 0-based day-D indices."""
    n = problem.n
    first_line: dict[int, int] = {}
    order: list[int] = []
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip().rstrip(";")
        if not line or line.startswith("#"):
            continue
        fields = [f.strip() for f in line.split(";")]
        if len(fields) > 2:
            raise SequenceError(f"expected rank;ident, got {len(fields)} fields",
                                file=filename, line=lineno)
        try:
            rank = int(fields[0])
        except ValueError:
            raise SequenceError(f"must be a whole number (got {fields[0]!r})", file=filename,
                                line=lineno, field="rank") from None
        if not 1 <= rank <= n:
            raise SequenceError(f"must be 1..{n} (got {rank})", file=filename, line=lineno,
                                field="rank")
        if rank in first_line:
            raise SequenceError(f"vehicle {rank} appears twice (first on line "
                                f"{first_line[rank]})", file=filename, line=lineno, field="rank")
        if len(fields) == 2 and fields[1] != problem.vehicle_ids[rank - 1]:
            raise SequenceError(
                f"vehicle {rank} of {problem.name} is {problem.vehicle_ids[rank - 1]!r}, "
                f"not {fields[1]!r}", file=filename, line=lineno, field="ident")
        first_line[rank] = lineno
        order.append(rank - 1)
    if len(order) != n:
        missing = sorted(set(range(1, n + 1)) - set(first_line))
        shown = ", ".join(str(r) for r in missing[:5]) + (" ..." if len(missing) > 5 else "")
        raise SequenceError(f"{len(order)} vehicles, but {problem.name} has {n} "
                            f"(missing ranks: {shown})", file=filename)
    return np.asarray(order, dtype=np.int64)
