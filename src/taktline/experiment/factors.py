"""Factors: any field of a plant, addressed by a dotted path with ids in lists.

``buffers.B12.capacity`` is the capacity of the buffer whose id is ``B12``;
``stations.ub_20.failures.weld_fault.ttr.mean`` the mean repair time of the failure
named ``weld_fault`` at station ``ub_20``; ``fleets.agv.size`` the size of fleet
``agv``. In a list an item is found by its ``id`` (or ``name``, for failures); a whole
number picks an item by position (``fleets.agv.moves.0.to``). Ids may contain dots:
the longest id that matches wins.

A factor is applied to ``plant.model_dump(by_alias=True)`` and the result validated
again, so a value the plant format refuses is refused with the plant's own rule.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from taktline.plant.check import check_plant
from taktline.plant.load import validation_problems
from taktline.plant.schema import Plant
from taktline.plant.yamlpos import YamlDocument, format_path

__all__ = ["FactorPathError", "InvalidPlant", "apply_values", "get_value", "resolve_path"]

Steps = tuple[str | int, ...]


class FactorPathError(ValueError):
    """A factor path that does not lead to a field of the plant."""


class InvalidPlant(ValueError):
    """The plant with the factor values applied breaks a rule of the plant format."""

    def __init__(self, field: str, rule: str) -> None:
        super().__init__(f"{field}: {rule}" if field else rule)
        self.field = field
        self.rule = rule


def _item_key(item: Any) -> str | None:
    if isinstance(item, Mapping):
        for key in ("id", "name"):
            if isinstance(item.get(key), str):
                return str(item[key])
    return None


def _find_in_list(items: list[Any], parts: list[str], i: int, where: str) -> tuple[int, int]:
    """(index in ``items``, parts consumed) for the item named by ``parts[i:]``."""
    for j in range(len(parts), i, -1):
        name = ".".join(parts[i:j])
        for k, item in enumerate(items):
            if _item_key(item) == name:
                return k, j - i
    if parts[i].isdigit() and int(parts[i]) < len(items):
        return int(parts[i]), 1
    ids = [k for k in (_item_key(it) for it in items) if k is not None]
    shown = ", ".join(ids[:12]) + (" ..." if len(ids) > 12 else "")
    raise FactorPathError(
        f"no item {parts[i]!r} in {where or 'the plant'}"
        + (f" (ids: {shown})" if ids else f" (positions 0-{len(items) - 1})")
    )


def resolve_path(data: Any, path: str) -> Steps:
    """The keys and list positions that ``path`` names in the plant data ``data``."""
    parts = path.split(".")
    if not path or any(p == "" for p in parts):
        raise FactorPathError(f"not a field path: {path!r} (write e.g. buffers.B12.capacity)")
    steps: list[str | int] = []
    node, i = data, 0
    while i < len(parts):
        where = format_path(tuple(steps))
        if isinstance(node, list):
            k, used = _find_in_list(node, parts, i, where)
            steps.append(k)
            node, i = node[k], i + used
        elif isinstance(node, dict):
            key = next((".".join(parts[i:j]) for j in range(len(parts), i, -1)
                        if ".".join(parts[i:j]) in node), None)
            if key is None:
                fields = ", ".join(str(f) for f in node)
                raise FactorPathError(
                    f"no field {parts[i]!r} in {where or 'the plant'} (fields: {fields})"
                )
            steps.append(key)
            node, i = node[key], i + len(key.split("."))
        else:
            raise FactorPathError(
                f"{where} is {node!r} in the base plant; it has no field {parts[i]!r}"
            )
    return tuple(steps)


def get_value(data: Any, steps: Steps) -> Any:
    """The value at ``steps`` (from :func:`resolve_path`)."""
    node = data
    for s in steps:
        node = node[s]
    return node


def _set(data: Any, steps: Steps, value: Any) -> None:
    node = data
    for s in steps[:-1]:
        node = node[s]
    node[steps[-1]] = value


def apply_values(base: Mapping[str, Any], values: Mapping[Steps, Any]) -> Plant:
    """A validated plant: ``base`` (a plant dump) with ``values`` set at their steps.

    Raises :class:`InvalidPlant` naming the field and the plant format's rule.
    """
    data = copy.deepcopy(dict(base))
    for steps, value in values.items():
        _set(data, steps, value)
    try:
        plant = Plant.model_validate(data)
    except ValidationError as exc:
        problem = validation_problems(exc, YamlDocument(data, {}))[0]
        raise InvalidPlant(format_path(problem.path), problem.rule) from exc
    problems = check_plant(plant)
    if problems:
        raise InvalidPlant(format_path(problems[0].path), problems[0].rule)
    return plant
