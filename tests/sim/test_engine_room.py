"""The compiled engine's arrays start small and grow between events; when one event
outgrows an array the run starts over with more room. None of it may change a record:
these tests shrink the starting room and compare with the reference engine."""

from __future__ import annotations

from typing import Any

import pytest

from taktline.plant import Plant, load_plant, parse_plant
from taktline.sim.engine import driver
from taktline.sim.engine import lower as lowering
from tests.sim.test_engine_equivalence import DAY, assert_same, reserved

# An overloaded queue (arrivals every 30 s, one server at 45 s on average) feeding a long
# conveyor: the queue, the item table and the event heap all keep growing.
BACKLOG = """
name: backlog
takt: 60
shops: [{id: s}]
products: {variants: [{id: v, share: 1}], colours: [{id: c, share: 1}]}
sources: [{kind: vehicles, id: arrivals, to: q, interval: {dist: exponential, mean: 30}}]
buffers:
  - {id: q, capacity: null}
  - {id: belt, capacity: 300, transit: 3h}
  - {id: done, capacity: 1}
stations:
  - {id: server, shop: s, cycle: {dist: exponential, mean: 45}, inputs: [q], outputs: [belt]}
  - {id: unload, shop: s, cycle: 1, inputs: [belt], outputs: [done]}
sinks: [{id: out, from: done}]
"""


def _tiny(model: Any, scale: int) -> lowering.Room:
    return lowering.Room(ring=4 * scale, heap=4 * scale, items=4 * scale, records=64 * scale,
                         draws=scale)


@pytest.fixture
def small_room(monkeypatch: pytest.MonkeyPatch) -> None:
    """Margins of a few slots and record tables of 8 rows (+ margin) at the start."""
    monkeypatch.setattr(lowering, "_room", _tiny)
    monkeypatch.setattr(driver, "lower", lambda model, scale: lowering.lower(model, scale, 8))


@pytest.mark.usefixtures("small_room")
@pytest.mark.parametrize("plant", ["backlog", "five_station_agv", "default", "reserved"])
def test_growing_from_small_arrays_changes_nothing(plant: str) -> None:
    """``default`` and ``reserved`` (the five-station plant's AGVs on reserved chains):
    plan requests queue up in a tiny ring, and their steps go onto a tiny heap."""
    if plant == "reserved":
        p: Plant = reserved(load_plant("five_station_agv"))
    else:
        p = parse_plant(BACKLOG) if plant == "backlog" else load_plant(plant)
    r = assert_same(p, DAY / 2 if plant == "default" else DAY, 3)
    assert r.completed > 0


def test_an_event_that_outgrows_an_array_is_run_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """No room at all in the record tables: the first instant (every station records its
    state) overflows, the run starts over with eight times the margins."""
    scales: list[int] = []

    def room(model: Any, scale: int) -> lowering.Room:
        scales.append(scale)
        if scale == 1:
            return lowering.Room(ring=1, heap=1, items=1, records=0, draws=0)
        return real(model, scale)

    real = lowering._room
    monkeypatch.setattr(lowering, "_room", room)
    monkeypatch.setattr(driver, "lower", lambda model, scale: lowering.lower(model, scale, 1))
    assert_same(load_plant("two_station"), DAY, 2)
    assert scales[:2] == [1, 8]


def test_records_moved_in_many_small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Record tables of 8 rows that never grow: the staged rows are moved out every few
    events and their room is written again at once (what is moved must be a copy)."""
    monkeypatch.setattr(driver, "MAX_CHUNK", 8)
    monkeypatch.setattr(driver, "lower", lambda model, scale: lowering.lower(model, scale, 8))
    assert_same(load_plant("five_station_agv"), DAY, 6)
    assert_same(parse_plant(BACKLOG), DAY, 6)
