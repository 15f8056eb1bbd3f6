"""The twin behind the PlantDriver seam: events with VINs, genealogy, commands, pacing,
degraded mode, resume after a restart."""

from __future__ import annotations

import asyncio
import time
from collections import Counter

import pytest

from taktline.ops.driver import (
    EVENT_KINDS,
    Fault,
    FaultResponse,
    Paced,
    PlantDriver,
    PlantEvent,
    VehicleResume,
)
from taktline.ops.twin_driver import TwinDriver
from taktline.plant.load import load_plant
from taktline.plant.orders import Order
from taktline.sim.run import run_twin
from tests.builders import plant as build_plant
from tests.builders import serial_line

PLANT = load_plant("default")


def _orders(n: int) -> list[Order]:
    variants = [v.id for v in PLANT.products.variants]
    colours = [c.id for c in PLANT.products.colours]
    opts = [o.id for o in PLANT.products.options]
    return [Order(f"O{i}", variants[i % 4], colours[i // 7 % 6],
                  tuple(o for k, o in enumerate(opts) if (i + k) % 3 == 0)) for i in range(n)]


def _run(driver: TwinDriver, hours: float, step_s: float = 60.0) -> None:
    t = driver.now
    while t < hours * 3600:
        t += step_s
        driver.advance(t)


@pytest.fixture(scope="module")
def day() -> tuple[TwinDriver, list[PlantEvent], list[Order]]:
    """The reference plant for a day with 400 orders released at once."""
    d = TwinDriver(PLANT, speed=0)
    events: list[PlantEvent] = []
    d.subscribe(events.append)
    orders = _orders(400)
    for i, o in enumerate(orders):
        d.release(f"VIN{i:014d}", o)
    _run(d, 24)
    return d, events, orders


def test_the_twin_is_a_plant_driver_and_paced() -> None:
    d = TwinDriver(PLANT)
    assert isinstance(d, PlantDriver)
    assert isinstance(d, Paced)
    assert d.speed == 60.0


def test_every_event_kind_and_vins(day: tuple[TwinDriver, list[PlantEvent], list[Order]]) -> None:
    _, events, _ = day
    kinds = Counter(e.kind for e in events)
    # no fault handler here; agv events come from the VDA 5050 fleet (vda5050=True)
    assert set(kinds) >= set(EVENT_KINDS) - {"degraded", "recovered", "agv"}
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert [e.time for e in events] == sorted(e.time for e in events)
    for kind in ("released", "dispatched", "part", "overload", "transport"):
        assert all(e.vin is not None and e.vin.startswith("VIN") for e in events
                   if e.kind == kind), kind
    released = [e.vin for e in events if e.kind == "released"]
    dispatched = [e.vin for e in events if e.kind == "dispatched"]
    assert len(set(released)) == len(released) > 250
    assert set(dispatched) <= set(released) and len(dispatched) > 150


def test_a_vehicle_history_is_in_flow_order(
        day: tuple[TwinDriver, list[PlantEvent], list[Order]]) -> None:
    _, events, _ = day
    vin = next(e.vin for e in events if e.kind == "dispatched")
    mine = [e for e in events if e.vin == vin]
    assert mine[0].kind == "released" and mine[-1].kind == "dispatched"
    open_at: set[str] = set()
    for e in mine:
        if e.kind == "started":
            assert e.station not in open_at
            open_at.add(str(e.station))
        elif e.kind == "finished":
            assert e.station in open_at, e
            open_at.discard(str(e.station))
            assert len(e.data["robots"]) == PLANT.station(str(e.station)).robot_count, e
            assert e.data["start"] <= e.time
    assert not open_at
    stations = [e.station for e in mine if e.kind == "finished"]
    assert stations[:2] == ["ub_10", "ub_20"] and "marriage" in stations


def test_genealogy_battery_serial_and_press_lots(
        day: tuple[TwinDriver, list[PlantEvent], list[Order]]) -> None:
    _, events, _ = day
    parts = [e for e in events if e.kind == "part"]
    battery = [e for e in parts if e.data["part"] == "battery_pack"]
    assert battery and all(e.station == "marriage" for e in battery)
    assert len({e.data["serial"] for e in battery}) == len(battery)
    panels = [e for e in parts if e.data["part"] in ("bodyside_l", "floor_panel", "roof_panel")]
    assert all("lot" in e.data for e in panels)
    pressed = {e.data["lot"] for e in panels} - {"initial-stock"}
    assert any(lot.startswith("press_a-") for lot in pressed), "no panel from a press lot"
    assert "lot" not in battery[0].data


def test_snapshot_reports_stations_buffers_agvs(
        day: tuple[TwinDriver, list[PlantEvent], list[Order]]) -> None:
    d, events, _ = day
    snap = d.snapshot()
    assert snap.time == pytest.approx(24 * 3600)
    assert [s.station for s in snap.stations] == [s.id for s in PLANT.stations]
    finished = Counter(e.station for e in events if e.kind == "finished")
    assert {s.station: s.finished for s in snap.stations} == {
        s.id: finished.get(s.id, 0) for s in PLANT.stations}
    assert len(snap.agv_positions) == 10
    states = {e.station: e.data["state"] for e in events if e.kind == "state"}
    assert {s.station: s.state for s in snap.stations} == states


def test_same_records_as_the_offline_reference_run() -> None:
    """With no fault handler the twin driver is the reference engine, step by step."""
    plant = serial_line([100, {"dist": "exponential", "mean": 90}, 95],
                        failures=[None, [{"ttf": {"dist": "exponential", "mean": 3600},
                                          "ttr": {"dist": "exponential", "mean": 300}}], None])
    orders = [Order(f"O{i}", "v", "c") for i in range(200)]
    offline = run_twin(plant, horizon_s=8 * 3600, seed=3, orders=orders, engine="reference")
    d = TwinDriver(plant, seed=3, speed=0)
    events: list[PlantEvent] = []
    d.subscribe(events.append)
    for i, o in enumerate(orders):
        d.release(f"V{i}", o)
    _run(d, 8, step_s=37.0)
    dispatched = [e.time for e in events if e.kind == "dispatched"]
    want = offline.records.table("dispatch").column("time").tolist()
    assert dispatched == [t for t in want if t <= 8 * 3600]
    downs = [e for e in events if e.kind == "up" and not e.data["planned"]]
    assert len(downs) == int((offline.records.table("downtime").column("planned") == 0).sum())


def test_stop_holds_a_station_and_start_releases_it() -> None:
    d = TwinDriver(PLANT, speed=0)
    events: list[PlantEvent] = []
    d.subscribe(events.append)
    for i, o in enumerate(_orders(30)):
        d.release(f"V{i}", o)
    _run(d, 1)
    before = d.snapshot()
    d.command("ub_20", "stop")
    st = next(s for s in d.snapshot().stations if s.station == "ub_20")
    assert st.stopped and st.state == "stopped"
    done = next(s.finished for s in before.stations if s.station == "ub_20")
    _run(d, 2)
    st = next(s for s in d.snapshot().stations if s.station == "ub_20")
    assert st.finished == done, "a held station finished work"
    d.command("ub_20", "reset")
    _run(d, 3)
    st = next(s for s in d.snapshot().stations if s.station == "ub_20")
    assert not st.stopped and st.finished > done
    with pytest.raises(KeyError):
        d.command("nowhere", "stop")


def test_degraded_mode_on_a_fault_handler_answer() -> None:
    plant = build_plant(
        stations=[{"id": "m0", "cycle": 100, "inputs": ["b0"], "outputs": ["b1"]},
                  {"id": "m1", "cycle": 100, "inputs": ["b1"], "outputs": ["b2"],
                   "robots": [{"type": "spot_welding", "count": 4}],
                   "failures": [{"name": "weld", "ttf": {"dist": "exponential", "mean": 1800},
                                 "ttr": {"dist": "constant", "value": 900}}]}],
        buffers=[{"id": "b0", "capacity": 1}, {"id": "b1", "capacity": 2},
                 {"id": "b2", "capacity": 1}])
    faults: list[Fault] = []

    def handler(f: Fault) -> FaultResponse:
        faults.append(f)
        return FaultResponse(robot="m1.spot_welding.2", factor=4 / 3, switchover_s=30.0)

    d = TwinDriver(plant, speed=0)
    d.set_fault_handler(handler)
    events: list[PlantEvent] = []
    d.subscribe(events.append)
    for i in range(400):
        d.release(f"V{i}", Order(f"O{i}", "v", "c"))
    _run(d, 10)
    assert faults and faults[0].station == "m1" and faults[0].expected_repair_s == 900
    degraded = [e for e in events if e.kind == "degraded"]
    recovered = [e for e in events if e.kind == "recovered"]
    ups = [e.data["duration_s"] for e in events if e.kind == "up" and e.station == "m1"]
    assert ups[0] == pytest.approx(30.0)
    # a failure while degraded (no second stand-in) waits for its repair
    assert sum(u == pytest.approx(30.0) for u in ups) == len(degraded) < len(ups)
    assert degraded and recovered and recovered[0].data["duration_s"] == pytest.approx(900)
    slow = [e for e in events if e.kind == "finished" and e.station == "m1"
            and degraded[0].time < e.data["start"] and e.time < recovered[0].time]
    assert slow and all("m1.spot_welding.2" not in e.data["robots"] for e in slow)
    assert all(e.time - e.data["start"] == pytest.approx(100 * 4 / 3) for e in slow[1:])


def test_resume_puts_vehicles_back_where_they_were() -> None:
    o = _orders(4)
    resumes = [
        VehicleResume("A", o[0], entered=False),
        VehicleResume("B", o[1], at="ub_30", since=5.0, visited=frozenset({"ub_10", "ub_20"})),
        VehicleResume("C", o[2], after="bw_final", since=3.0,
                      visited=frozenset({"ub_10", "bw_final"})),
        VehicleResume("D", o[3], after="eol_final", good=False, first_pass=False, since=1.0),
    ]
    d = TwinDriver(PLANT, speed=0)
    d.resume(resumes)
    events: list[PlantEvent] = []
    d.subscribe(events.append)
    d.begin()
    levels = {b.buffer: b.level for b in d.snapshot().buffers}
    assert levels["ub_b2"] == 1 and levels["bis"] == 1 and levels["rework_q"] == 1
    assert d.snapshot().queued == 1
    _run(d, 8)
    started: dict[str | None, str | None] = {}
    for e in events:
        if e.kind == "started":
            started.setdefault(e.vin, e.station)
    assert started["B"] == "ub_30" and started["C"] == "pt_load" and started["D"] == "rework"
    assert any(e.kind == "released" and e.vin == "A" for e in events)
    done = {e.vin: e.data["good"] for e in events if e.kind == "dispatched"}
    assert done.get("D") is False
    with pytest.raises(RuntimeError):
        d.resume(resumes)


def test_paced_to_wall_clock_times_speed() -> None:
    async def main() -> tuple[float, float, float]:
        d = TwinDriver(PLANT, speed=600.0, tick_s=0.02)
        await d.start()
        t0 = time.monotonic()
        await asyncio.sleep(0.5)
        fast = d.now / (time.monotonic() - t0)
        d.set_speed(0.0)
        paused = d.now
        await asyncio.sleep(0.2)
        still = d.now - paused
        await d.stop()
        return fast, still, d.speed

    fast, still, speed = asyncio.run(main())
    assert 400 < fast <= 650
    assert still == 0.0 and speed == 0.0
    with pytest.raises(ValueError):
        TwinDriver(PLANT).set_speed(-1)
