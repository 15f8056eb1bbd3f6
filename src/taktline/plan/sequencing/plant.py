"""Sequencing problems from a plant description and its orders.

* Colours come from the orders (indexed in the plant's catalogue order).
* The paint batch limit is the smallest ``setup.max_batch`` among stations whose
  ``setup.on`` is ``colour`` (none if no such station sets one).
* Each station with an ``option`` rule is a ratio constraint: at most ``max`` of any
  ``window`` consecutive vehicles carrying the option; ``priority`` high or low.
* There is no previous day: the windows at the start and at the end are truncated.
* Objective order: HPRC first (an overloaded station slows the whole line), then PCC
  (each colour change is a purge at the paint booth), then LPRC.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from taktline.errors import SequenceError
from taktline.plan.sequencing.problem import Objective, SequenceProblem
from taktline.plant.orders import Order
from taktline.plant.schema import Plant

__all__ = ["PLANT_OBJECTIVES", "orders_in_sequence", "paint_batch_limit", "problem_from_orders"]

PLANT_OBJECTIVES = (Objective.HPRC, Objective.PCC, Objective.LPRC)


def paint_batch_limit(plant: Plant) -> int | None:
    """The smallest ``max_batch`` of the plant's colour-setup stations, if any."""
    limits = [s.setup.max_batch for s in plant.stations
              if s.setup is not None and s.setup.on == "colour" and s.setup.max_batch]
    return min(limits) if limits else None


def problem_from_orders(plant: Plant, orders: Sequence[Order],
                        name: str = "orders") -> SequenceProblem:
    """The sequencing problem of building ``orders`` on ``plant`` (vehicle ``i`` =
    ``orders[i]``, in arrival order)."""
    if not orders:
        raise SequenceError(f"{name}: no vehicles to sequence")
    colour_ids = [c.id for c in plant.products.colours]
    index = {c: i for i, c in enumerate(colour_ids)}
    stations = [s for s in plant.stations if s.option is not None]
    rules = [s.option for s in stations if s.option is not None]
    options = np.zeros((len(orders), len(rules)), dtype=np.uint8)
    colours = np.zeros(len(orders), dtype=np.int32)
    for i, order in enumerate(orders):
        if order.colour not in index:
            raise SequenceError(f"{name}: order {order.order_id} has colour {order.colour!r}, "
                                f"not in the plant's catalogue {colour_ids}")
        colours[i] = index[order.colour]
        for j, rule in enumerate(rules):
            options[i, j] = rule.option in order.options
    return SequenceProblem(
        name=name,
        colours=colours,
        options=options,
        ratio_max=np.array([r.max for r in rules], dtype=np.int32),
        ratio_window=np.array([r.window for r in rules], dtype=np.int32),
        high_priority=np.array([r.priority == "high" for r in rules], dtype=bool),
        objectives=PLANT_OBJECTIVES,
        batch_limit=paint_batch_limit(plant),
        windows="roadef",
        vehicle_ids=tuple(o.order_id for o in orders),
        colour_names=tuple(colour_ids),
        option_names=tuple(f"{s.id}:{r.option}" for s, r in zip(stations, rules, strict=True)),
        source=name,
    )


def orders_in_sequence(orders: Sequence[Order],
                       order: Sequence[int] | NDArray[np.integer]) -> list[Order]:
    """``orders`` rearranged into build order (``order`` holds 0-based indices)."""
    return [orders[int(i)] for i in order]
