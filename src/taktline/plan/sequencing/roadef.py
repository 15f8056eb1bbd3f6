"""Read a ROADEF/EURO 2005 instance folder (Renault's car sequencing challenge).

A folder holds four ``;``-separated files with a header line each:
``optimization_objectives.txt`` (``rank;name``), ``paint_batch_limit.txt`` (one
integer), ``ratios.txt`` (``N/P;Prio;Ident``) and ``vehicles.txt`` (``Date;SeqRank;
Ident;Paint Color;<one 0/1 column per ratio>``). Quirks handled: lines may or may not end
with ``;``, the last line may lack its newline, blank lines occur, header names vary in
case (``Ident`` / ``ident``). The rows of the earlier date (day D-1) come first and stay
fixed in front; the rows of the later date are day D, in Renault's own order.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from taktline.errors import InstanceError
from taktline.plan.sequencing.problem import Objective, SequenceProblem

__all__ = ["OBJECTIVE_NAMES", "is_roadef_folder", "read_roadef"]

OBJECTIVE_NAMES = {
    "high_priority_level_and_easy_to_satisfy_ratio_constraints": Objective.HPRC,
    "high_priority_level_and_difficult_to_satisfy_ratio_constraints": Objective.HPRC,
    "paint_color_batches": Objective.PCC,
    "low_priority_level_ratio_constraints": Objective.LPRC,
}
FILES = ("optimization_objectives.txt", "paint_batch_limit.txt", "ratios.txt", "vehicles.txt")


@dataclass(frozen=True)
class _Row:
    line: int
    fields: list[str]


def is_roadef_folder(path: str | Path) -> bool:
    """True when ``path`` is a folder holding a ROADEF 2005 ``vehicles.txt``."""
    return Path(path).is_dir() and (Path(path) / "vehicles.txt").is_file()


def _rows(path: Path) -> tuple[list[str], list[_Row]]:
    """Header fields and data rows of one file (trailing ``;`` and blank lines dropped)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InstanceError("missing file of a ROADEF instance", file=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InstanceError(f"cannot read: {exc}", file=str(path)) from exc
    rows: list[_Row] = []
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if line.endswith(";"):
            line = line[:-1]
        if line:
            rows.append(_Row(lineno, [f.strip() for f in line.split(";")]))
    if not rows:
        raise InstanceError("empty file: expected a header line", file=str(path), line=1)
    return rows[0].fields, rows[1:]


def _expect_header(path: Path, got: list[str], want: list[str]) -> None:
    if [g.lower() for g in got[: len(want)]] != [w.lower() for w in want]:
        raise InstanceError(
            f"header must start with {';'.join(want)} (got {';'.join(got)})",
            file=str(path), line=1, field="header",
        )


def _int(path: Path, row: _Row, col: int, name: str, low: int | None = None) -> int:
    if col >= len(row.fields):
        raise InstanceError("missing value", file=str(path), line=row.line, field=name)
    text = row.fields[col]
    try:
        value = int(text)
    except ValueError:
        raise InstanceError(
            f"must be a whole number (got {text!r})", file=str(path), line=row.line, field=name
        ) from None
    if low is not None and value < low:
        raise InstanceError(
            f"must be >= {low} (got {value})", file=str(path), line=row.line, field=name
        )
    return value


def _objectives(path: Path) -> tuple[Objective, ...]:
    header, rows = _rows(path)
    _expect_header(path, header, ["rank"])
    ranked: dict[int, Objective] = {}
    for row in rows:
        rank = _int(path, row, 0, "rank", low=1)
        name = row.fields[1] if len(row.fields) > 1 else ""
        if name not in OBJECTIVE_NAMES:
            raise InstanceError(
                f"unknown objective {name!r} (known: {', '.join(sorted(OBJECTIVE_NAMES))})",
                file=str(path), line=row.line, field="objective name",
            )
        if rank in ranked or OBJECTIVE_NAMES[name] in ranked.values():
            raise InstanceError(
                f"objective or rank given twice ({rank};{name})",
                file=str(path), line=row.line, field="rank",
            )
        ranked[rank] = OBJECTIVE_NAMES[name]
    if sorted(ranked) != list(range(1, len(ranked) + 1)):
        raise InstanceError("ranks must be 1, 2, 3 ... without gaps", file=str(path), line=1)
    return tuple(ranked[r] for r in sorted(ranked))


def _batch_limit(path: Path) -> int:
    header, rows = _rows(path)
    _expect_header(path, header, ["limitation"])
    if len(rows) != 1:
        raise InstanceError("expected one line with the paint batch limit", file=str(path),
                            line=rows[1].line if rows else 1, field="limitation")
    return _int(path, rows[0], 0, "limitation", low=1)


def _ratios(path: Path) -> tuple[list[str], list[int], list[int], list[bool]]:
    header, rows = _rows(path)
    _expect_header(path, header, ["Ratio", "Prio", "Ident"])
    idents: list[str] = []
    maxs: list[int] = []
    windows: list[int] = []
    high: list[bool] = []
    for row in rows:
        if len(row.fields) < 3:
            raise InstanceError(f"expected 3 fields, got {len(row.fields)}", file=str(path),
                                line=row.line)
        ratio, prio, ident = row.fields[:3]
        n_text, slash, p_text = ratio.partition("/")
        if not slash or not n_text.isdigit() or not p_text.isdigit() or int(p_text) < 1:
            raise InstanceError(f"must be N/P with whole numbers, P >= 1 (got {ratio!r})",
                                file=str(path), line=row.line, field="Ratio")
        if prio not in ("0", "1"):
            raise InstanceError(f"must be 0 or 1 (got {prio!r})", file=str(path),
                                line=row.line, field="Prio")
        if ident in idents:
            raise InstanceError(f"duplicate ratio {ident!r}", file=str(path), line=row.line,
                                field="Ident")
        idents.append(ident)
        maxs.append(int(n_text))
        windows.append(int(p_text))
        high.append(prio == "1")
    return idents, maxs, windows, high


def _date(path: Path, row: _Row) -> tuple[int, ...]:
    try:
        return tuple(int(x) for x in row.fields[0].split())
    except ValueError:
        raise InstanceError(f"must be numbers like '2003 38 3' (got {row.fields[0]!r})",
                            file=str(path), line=row.line, field="Date") from None


def _vehicles(path: Path, idents: list[str]) -> tuple[list[tuple[int, ...]], list[_Row], list[int]]:
    """Dates, rows and, per ratio ident, the column that holds it."""
    header, rows = _rows(path)
    _expect_header(path, header, ["Date", "SeqRank", "Ident", "Paint Color"])
    columns = [h.strip() for h in header[4:]]
    lowered = [c.lower() for c in columns]
    cols: list[int] = []
    for ident in idents:
        if ident.lower() not in lowered:
            raise InstanceError(f"no column for ratio {ident!r} of ratios.txt",
                                file=str(path), line=1, field="header")
        cols.append(4 + lowered.index(ident.lower()))
    if len(columns) != len(idents):
        extra = sorted(set(lowered) - {i.lower() for i in idents})
        raise InstanceError(f"columns not in ratios.txt: {', '.join(extra)}", file=str(path),
                            line=1, field="header")
    if not rows:
        raise InstanceError("no vehicles in the file", file=str(path), line=1)
    width = len(header)
    for row in rows:
        if len(row.fields) != width:
            raise InstanceError(f"expected {width} fields, got {len(row.fields)}",
                                file=str(path), line=row.line)
        _int(path, row, 1, "SeqRank")
    return [_date(path, r) for r in rows], rows, cols


def _colour_key(c: str) -> tuple[bool, int, str]:
    return (not c.isdigit(), int(c) if c.isdigit() else 0, c)


def read_roadef(folder: str | Path) -> SequenceProblem:
    """Read a ROADEF 2005 instance folder; raises :class:`InstanceError` naming file, line
    and field for anything malformed."""
    root = Path(folder)
    if not root.is_dir():
        raise InstanceError("not a folder (a ROADEF 2005 instance is a folder)", file=str(root))
    objectives = _objectives(root / FILES[0])
    limit = _batch_limit(root / FILES[1])
    idents, maxs, windows, high = _ratios(root / FILES[2])
    vpath = root / FILES[3]
    dates, rows, cols = _vehicles(vpath, idents)
    days = sorted(set(dates))
    if len(days) > 2:
        raise InstanceError(f"expected two dates (day D-1 and day D), got {len(days)}",
                            file=str(vpath), line=rows[0].line, field="Date")
    day_d = days[-1]
    first_d = dates.index(day_d)
    for date, row in zip(dates[first_d:], rows[first_d:], strict=True):
        if date != day_d:
            raise InstanceError("day D-1 vehicles must all come before day D",
                                file=str(vpath), line=row.line, field="Date")
    colour_text = [r.fields[3] for r in rows]
    for r, text in zip(rows, colour_text, strict=True):
        if not text:
            raise InstanceError("must not be empty", file=str(vpath), line=r.line,
                                field="Paint Color")
    names = sorted(set(colour_text), key=_colour_key)
    index = {c: i for i, c in enumerate(names)}
    colours = np.array([index[c] for c in colour_text], dtype=np.int32)
    opts = np.zeros((len(rows), len(idents)), dtype=np.uint8)
    for i, row in enumerate(rows):
        for j, col in enumerate(cols):
            value = row.fields[col]
            if value not in ("0", "1"):
                raise InstanceError(f"must be 0 or 1 (got {value!r})", file=str(vpath),
                                    line=row.line, field=idents[j])
            opts[i, j] = value == "1"
    return SequenceProblem(
        name=root.name,
        colours=colours[first_d:],
        options=opts[first_d:],
        ratio_max=np.array(maxs),
        ratio_window=np.array(windows),
        high_priority=np.array(high),
        objectives=objectives,
        batch_limit=limit,
        prefix_colours=colours[:first_d],
        prefix_options=opts[:first_d],
        windows="roadef",
        vehicle_ids=tuple(r.fields[2] for r in rows[first_d:]),
        colour_names=tuple(names),
        option_names=tuple(idents),
        source=str(root),
    )
