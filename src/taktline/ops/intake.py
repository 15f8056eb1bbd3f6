"""Order intake: what a customer order must be before the MES accepts it.

An order names a variant, a colour and options of the plant's product catalogue; an
option may be listed once. Every problem of a batch is found at once and reported with
the field it concerns (``orders[3].colour``) and the rule it breaks, as an
:class:`~taktline.errors.InputError` whose ``problems`` list them all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from taktline.errors import InputError
from taktline.plant.orders import Order
from taktline.plant.schema import Plant

__all__ = ["OrderIn", "check_orders"]


@dataclass(frozen=True, slots=True)
class OrderIn:
    """An order as a client submits it (``order_id`` None: the MES names it)."""

    variant: str
    colour: str
    options: tuple[str, ...] = ()
    order_id: str | None = None

    def to_order(self, order_id: str) -> Order:
        return Order(order_id, self.variant, self.colour, self.options)


def check_orders(plant: Plant, orders: Sequence[OrderIn], field: str = "orders") -> None:
    """Raise :class:`InputError` listing every order that breaks the catalogue."""
    cat = plant.products
    variants = [v.id for v in cat.variants]
    colours = [c.id for c in cat.colours]
    options = [o.id for o in cat.options]
    problems: list[InputError] = []
    seen: dict[str, int] = {}
    for i, o in enumerate(orders):
        where = f"{field}[{i}]" if field else ""

        def bad(name: str, rule: str, where: str = where) -> None:
            problems.append(InputError(rule, field=f"{where}.{name}" if where else name))

        if o.variant not in variants:
            bad("variant", f"unknown variant {o.variant!r} (plant has {variants})")
        if o.colour not in colours:
            bad("colour", f"unknown colour {o.colour!r} (plant has {colours})")
        for opt in o.options:
            if opt not in options:
                bad("options", f"unknown option {opt!r} (plant has {options})")
        if len(set(o.options)) != len(o.options):
            bad("options", "an option is listed twice")
        if o.order_id is not None:
            if o.order_id in seen:
                other = f"{field}[{seen[o.order_id]}]"
                bad("order_id", f"duplicate order_id {o.order_id!r} (also {other})")
            seen.setdefault(o.order_id, i)
    if problems:
        first = problems[0]
        err = InputError(first.rule, field=first.field, more=len(problems) - 1)
        err.problems = problems
        raise err
