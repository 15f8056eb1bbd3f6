"""Read a CSPLib problem 001 (car sequencing) instance.

Format (whitespace-separated integers; lines starting with ``%`` are comments)::

    <cars> <options> <classes>
    <p_1 ... p_k>                   at most p_j cars with option j ...
    <q_1 ... q_k>                   ... in any q_j consecutive cars
    <class> <count> <o_1 ... o_k>   one line per class, o_j in {0, 1}

There are no colours, no paint batch limit and no previous day; every option is a
high-priority ratio constraint judged on the full windows only. The cars of class 0
come first, then those of class 1, and so on: that expansion defines vehicle positions.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from taktline.errors import InstanceError
from taktline.plan.sequencing.problem import Objective, SequenceProblem

__all__ = ["parse_csplib", "read_csplib"]


def read_csplib(path: str | Path) -> SequenceProblem:
    """Read a CSPLib prob001 file; raises :class:`InstanceError` naming file, line, field."""
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InstanceError("no such file", file=name) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InstanceError(f"cannot read: {exc}", file=name) from exc
    return parse_csplib(text, filename=name, name=Path(path).stem)


def _lines(text: str, filename: str) -> list[tuple[int, list[int]]]:
    out: list[tuple[int, list[int]]] = []
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("%", 1)[0].strip()
        if not line:
            continue
        values: list[int] = []
        for token in line.split():
            try:
                values.append(int(token))
            except ValueError:
                raise InstanceError(f"expected whole numbers (got {token!r})", file=filename,
                                    line=lineno) from None
        out.append((lineno, values))
    return out


def parse_csplib(text: str, filename: str = "<csplib>", name: str = "csplib") -> SequenceProblem:
    """Parse the text of a CSPLib prob001 instance."""
    lines = _lines(text, filename)

    def need(idx: int, count: int, what: str) -> tuple[int, list[int]]:
        if idx >= len(lines):
            last = lines[-1][0] if lines else 1
            raise InstanceError(f"file ends early: expected {what}", file=filename, line=last)
        lineno, values = lines[idx]
        if len(values) != count:
            raise InstanceError(f"expected {count} numbers ({what}), got {len(values)}",
                                file=filename, line=lineno, field=what)
        return lineno, values

    head_line, (cars, k, classes) = need(0, 3, "cars options classes")
    for value, field in ((cars, "cars"), (k, "options"), (classes, "classes")):
        if value < 1:
            raise InstanceError(f"must be >= 1 (got {value})", file=filename, line=head_line,
                                field=field)
    _, p = need(1, k, "p (max per window)")
    q_line, q = need(2, k, "q (window lengths)")
    for j in range(k):
        if q[j] < 1 or not 0 <= p[j] <= q[j]:
            raise InstanceError(f"needs 0 <= p <= q and q >= 1 (got {p[j]}/{q[j]})",
                                file=filename, line=q_line, field=f"option {j + 1}")
    counts: list[int] = []
    rows: list[list[int]] = []
    ids: list[str] = []
    for c in range(classes):
        lineno, values = need(3 + c, k + 2, f"class {c}: id count and {k} option flags")
        cid, count, flags = values[0], values[1], values[2:]
        if count < 0:
            raise InstanceError(f"must be >= 0 (got {count})", file=filename, line=lineno,
                                field="count")
        bad = [f for f in flags if f not in (0, 1)]
        if bad:
            raise InstanceError(f"option flags must be 0 or 1 (got {bad[0]})", file=filename,
                                line=lineno, field="options")
        counts.append(count)
        rows.append(flags)
        ids.append(str(cid))
    if len(lines) > 3 + classes:
        raise InstanceError(f"more lines than the {classes} classes announced",
                            file=filename, line=lines[3 + classes][0])
    if sum(counts) != cars:
        raise InstanceError(f"class counts add up to {sum(counts)}, not {cars} cars",
                            file=filename, line=head_line, field="cars")
    cls = np.repeat(np.arange(classes), counts)
    return SequenceProblem(
        name=name,
        colours=np.zeros(cars, dtype=np.int32),
        options=np.array(rows, dtype=np.uint8).reshape(classes, k)[cls],
        ratio_max=np.array(p),
        ratio_window=np.array(q),
        high_priority=np.ones(k, dtype=bool),
        objectives=(Objective.HPRC,),
        rank_weights=(1,),
        batch_limit=None,
        windows="full",
        vehicle_ids=tuple(ids[c] for c in cls.tolist()),
        colour_names=("-",),
        option_names=tuple(f"option{j + 1}" for j in range(k)),
        source=filename,
    )
