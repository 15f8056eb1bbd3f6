"""Factor paths: ids in lists, positions, dotted ids, and the errors for wrong paths."""

from __future__ import annotations

import re

import pytest

from taktline.experiment.factors import (
    FactorPathError,
    InvalidPlant,
    apply_values,
    get_value,
    resolve_path,
)
from taktline.plant import load_plant


@pytest.fixture(scope="module")
def dump() -> dict:
    return load_plant("default").model_dump(by_alias=True)


def test_paths_find_items_by_id_and_name(dump: dict) -> None:
    steps = resolve_path(dump, "stations.ub_20.failures.weld_fault.ttr.mean")
    assert get_value(dump, steps) == 300.0  # 5 min, as the plant file says
    assert steps[0] == "stations" and isinstance(steps[1], int)
    assert dump["stations"][steps[1]]["id"] == "ub_20"
    assert get_value(dump, resolve_path(dump, "fleets.agv.size")) == 10
    assert get_value(dump, resolve_path(dump, "stations.press_a.setup.time")) == {
        "dist": "constant", "value": 5.0}
    moves = resolve_path(dump, "fleets.agv.moves.1.to")  # a position where there is no id
    assert get_value(dump, moves) == "c_in"


def test_ids_with_dots_match_the_longest_id() -> None:
    data = {"buffers": [{"id": "b", "capacity": 1}, {"id": "b.x", "capacity": 7}]}
    assert get_value(data, resolve_path(data, "buffers.b.x.capacity")) == 7
    assert get_value(data, resolve_path(data, "buffers.b.capacity")) == 1


@pytest.mark.parametrize(("path", "message"), [
    ("buffers.B12.capacity", "no item 'B12' in buffers (ids: store_bodyside_l"),
    ("buffers.release.capcity", "no field 'capcity' in buffers[5] (fields: id, capacity"),
    ("stations.ub_20.setup.time", "stations[3].setup is None in the base plant"),
    ("stations..cycle", "not a field path"),
])
def test_wrong_paths_say_what_exists(dump: dict, path: str, message: str) -> None:
    with pytest.raises(FactorPathError, match=re.escape(message)):
        resolve_path(dump, path)


def test_apply_revalidates_and_names_the_rule(dump: dict) -> None:
    cap = resolve_path(dump, "buffers.release.capacity")
    plant = apply_values(dump, {cap: 9})
    assert plant.buffer("release").capacity == 9
    assert dump["buffers"][5]["capacity"] == 2  # the base data is not changed
    with pytest.raises(InvalidPlant, match=r"buffers\[5\].capacity: must be >= 0 \(got -1\)"):
        apply_values(dump, {cap: -1})
    size = resolve_path(dump, "fleets.agv.size")
    with pytest.raises(InvalidPlant, match="fleets"):
        apply_values(dump, {size: "many"})
