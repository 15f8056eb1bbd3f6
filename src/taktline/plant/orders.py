"""Vehicle orders and sequences: what enters the line, in which order.

A sequence file is a CSV with the header ``order_id,variant,colour,options``; one
vehicle per line in release order; ``options`` lists option ids joined by ``+`` (empty
for none). Every value is checked against the plant's product catalogue.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from taktline.errors import SequenceError
from taktline.plant.schema import Plant

__all__ = ["COLUMNS", "Order", "load_sequence", "parse_sequence", "write_sequence"]

COLUMNS = ("order_id", "variant", "colour", "options")


@dataclass(frozen=True, slots=True)
class Order:
    """One vehicle to build."""

    order_id: str
    variant: str
    colour: str
    options: tuple[str, ...] = ()


def load_sequence(path: str | Path, plant: Plant) -> list[Order]:
    """Read and check a sequence CSV; raises :class:`SequenceError` naming file, line, field."""
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SequenceError("no such file", file=name) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SequenceError(f"cannot read: {exc}", file=name) from exc
    return parse_sequence(text, plant, filename=name)


def parse_sequence(text: str, plant: Plant, filename: str = "<sequence>") -> list[Order]:
    """Parse sequence CSV text against ``plant``'s catalogue."""
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or not any(c.strip() for c in rows[0]):
        raise SequenceError(
            "empty file: expected the header order_id,variant,colour,options", file=filename, line=1
        )
    header = tuple(c.strip() for c in rows[0])
    if header[: len(COLUMNS)] != COLUMNS or len(header) > len(COLUMNS):
        raise SequenceError(
            f"header must be {','.join(COLUMNS)} (got {','.join(header)})",
            file=filename,
            line=1,
            field="header",
        )
    variants = {v.id for v in plant.products.variants}
    colours = {c.id for c in plant.products.colours}
    options = {o.id for o in plant.products.options}
    seen: dict[str, int] = {}
    orders: list[Order] = []
    for lineno, row in enumerate(rows[1:], start=2):
        if not row or not any(c.strip() for c in row):
            continue
        if len(row) < 3 or len(row) > 4:
            raise SequenceError(f"expected 4 fields, got {len(row)}", file=filename, line=lineno)

        def bad(field: str, rule: str, line: int = lineno) -> SequenceError:
            return SequenceError(rule, file=filename, line=line, field=field)

        oid, variant, colour = (c.strip() for c in row[:3])
        opts = tuple(o.strip() for o in (row[3] if len(row) > 3 else "").split("+") if o.strip())
        if not oid:
            raise bad("order_id", "must not be empty")
        if oid in seen:
            raise bad("order_id", f"duplicate order id {oid!r} (first on line {seen[oid]})")
        if variant not in variants:
            raise bad("variant", f"unknown variant {variant!r} (plant has {sorted(variants)})")
        if colour not in colours:
            raise bad("colour", f"unknown colour {colour!r} (plant has {sorted(colours)})")
        for o in opts:
            if o not in options:
                raise bad("options", f"unknown option {o!r} (plant has {sorted(options)})")
        if len(set(opts)) != len(opts):
            raise bad("options", "an option is listed twice")
        seen[oid] = lineno
        orders.append(Order(oid, variant, colour, opts))
    if not orders:
        raise SequenceError("no vehicles in the file", file=filename, line=len(rows))
    return orders


def write_sequence(orders: list[Order], path: str | Path) -> None:
    """Write orders as a sequence CSV (the format :func:`load_sequence` reads)."""
    with Path(path).open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(COLUMNS)
        for o in orders:
            w.writerow((o.order_id, o.variant, o.colour, "+".join(o.options)))
