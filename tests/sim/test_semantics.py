"""Each rule of docs/semantics.md, checked on a small deterministic plant.

Times are worked out by hand in each test; constant distributions keep them exact.
"""

from __future__ import annotations

from typing import Any

import pytest

from taktline.plant.orders import Order
from taktline.sim.kernel import LATE, NORMAL, Kernel
from taktline.sim.records import State
from tests.builders import ops, plant, run, serial_line, states, table

W, S, B, F, U, P = (State.WORKING, State.STARVED, State.BLOCKED, State.FAILED, State.SETUP,
                    State.PLANNED)


def test_simultaneous_events_fifo() -> None:
    """Rule 2-3: same time -> priority, then scheduling order."""
    k = Kernel()
    seen: list[str] = []
    k.at(5.0, seen.append, "late", LATE)
    k.at(5.0, seen.append, "first")
    k.at(5.0, seen.append, "second", NORMAL)
    k.at(1.0, lambda _: k.soon(lambda: seen.append("soon")), None)
    k.at(1.0, seen.append, "after-soon")
    k.run(10.0)
    assert seen == ["soon", "after-soon", "first", "second", "late"]
    assert k.now == 10.0


def test_failure_at_completion_hits_next_part() -> None:
    """Rule 3: TTF 10 s of operation = exactly one 10 s cycle. Part 1 completes at 10;
    the failure (LATE) then hits part 2 at its start: down 10-15, part 2 done at 25;
    again part 3 starts at 25, fails at once, down 25-30, done at 40."""
    p = serial_line([10], failures=[[{"ttf": 10, "ttr": 5}]])
    r = run(p, 45)
    assert ops(r, 0)["end"][:3] == [10.0, 25.0, 40.0]
    down = table(r, "downtime")
    assert down["start"][:2] == [10.0, 25.0]
    assert down["end"][:2] == [15.0, 30.0]


def test_waiters_woken_in_fifo_order() -> None:
    """Rule 4: two starved stations share a buffer; the one waiting longest is served.
    Vehicles arrive every 100 s from t=100; each station needs 150 s. a takes v0 (100),
    b takes v1 (200, a busy), a takes v2 (300, a idle since 250), b takes v3 (400)."""
    p = plant(
        stations=[
            {"id": "a", "cycle": 150, "inputs": ["q"], "outputs": ["out"]},
            {"id": "b", "cycle": 150, "inputs": ["q"], "outputs": ["out"]},
        ],
        buffers=[{"id": "q", "capacity": 5}, {"id": "out", "capacity": 5}],
        sources=[{"kind": "vehicles", "id": "src", "to": "q", "interval": 100}],
    )
    r = run(p, 1000)
    assert ops(r, 0)["vehicle"][:2] == [0, 2]
    assert ops(r, 1)["vehicle"][:2] == [1, 3]
    assert ops(r, 0)["start"][:2] == [100.0, 300.0]


def test_station_starts_when_inputs_ready() -> None:
    """Rule 5 and 8: a station fed every 100 s with a 30 s cycle starves in between."""
    p = serial_line([30], source={"interval": 100})
    r = run(p, 350)
    assert states(r, 0) == [(0.0, S), (100.0, W), (130.0, S), (200.0, W), (230.0, S),
                            (300.0, W), (330.0, S)]


test_starving = test_station_starts_when_inputs_ready


def test_cycle_per_variant() -> None:
    """Rule 6: cycle per variant, model entry, then default."""
    products = {"variants": [{"id": "a", "model": "m1", "share": 1},
                             {"id": "b", "model": "m2", "share": 1},
                             {"id": "c", "model": "m2", "share": 1},
                             {"id": "d", "share": 1}],
                "colours": [{"id": "w", "share": 1}]}
    p = plant(
        stations=[{"id": "st", "cycle": {"a": 10, "m2": 20, "default": 30},
                   "inputs": ["i"], "outputs": ["o"]}],
        buffers=[{"id": "i", "capacity": 1}, {"id": "o", "capacity": 1}],
        products=products,
    )
    orders = [Order(str(n), v, "w") for n, v in enumerate("abcd")]
    r = run(p, 500, orders=orders)
    o = ops(r, 0)
    assert [e - s for s, e in zip(o["start"], o["end"], strict=True)] == [10, 20, 20, 30]


def test_blocking_after_service() -> None:
    """Rule 7: m0 (10 s) feeds m1 (30 s) through a buffer of 1. m0 finishes v0 at 10
    (m1 takes it), v1 at 20 (buffer), v2 at 30 -> blocked until m1 takes v1 at 40;
    v3 done at 50 -> blocked until 70."""
    p = serial_line([10, 30], capacity=1)
    r = run(p, 75)
    assert ops(r, 0)["end"][:4] == [10.0, 20.0, 30.0, 50.0]
    assert states(r, 0)[:5] == [(0.0, W), (30.0, B), (40.0, W), (50.0, B), (70.0, W)]


def test_state_precedence() -> None:
    """Rule 9: a blocked station that fails is failed; after the repair, blocked again.
    m0 (10 s) -> buffer 1 -> m1 (100 s). m0 is blocked from 30; a calendar failure at
    35 (TTF 35, TTR 10) makes it failed until 45, then blocked until m1 takes at 200."""
    p = serial_line([10, 100], capacity=1,
                    failures=[[{"ttf": 35, "ttr": 10, "basis": "calendar"}], None])
    r = run(p, 150)
    assert states(r, 0)[:4] == [(0.0, W), (30.0, B), (35.0, F), (45.0, B)]


def test_join_waits_for_all_inputs() -> None:
    """Rule 10: vehicles every 100 s, parts every 250 s; the join starts only when both
    are there: at 250 (v0 + part 1) and 500 (v1 + part 2). Parts are recorded as joined."""
    p = plant(
        stations=[{"id": "j", "cycle": 50, "inputs": ["v", "p"], "outputs": ["o"]}],
        buffers=[{"id": "v", "capacity": 5}, {"id": "p", "capacity": 5},
                 {"id": "o", "capacity": 5}],
        sources=[{"kind": "vehicles", "id": "src", "to": "v", "interval": 100},
                 {"kind": "parts", "id": "sup", "part": "battery", "to": "p", "interval": 250}],
    )
    r = run(p, 600)
    assert ops(r, 0)["start"] == [250.0, 500.0]
    assert ops(r, 0)["vehicle"] == [0, 1]
    joins = table(r, "join")
    assert joins["vehicle"] == [0, 1]
    assert {r.records.names[i] for i in joins["part"]} == {"battery"}


def test_press_lots() -> None:
    """Rule 11: a raw-material press makes lots of 3 of the part whose store is emptiest
    (ties: first output), with a die change between lots."""
    p = plant(
        stations=[
            {"id": "press", "cycle": 1, "route": "by_part", "lot_size": 3,
             "setup": {"on": "part", "time": 2},
             "outputs": [{"buffer": "sa", "part": "a"}, {"buffer": "sb", "part": "b"}]},
            {"id": "use", "cycle": 10, "inputs": ["v", "sa", "sb"], "outputs": ["o"]},
        ],
        buffers=[{"id": "v", "capacity": 1}, {"id": "sa", "capacity": 10},
                 {"id": "sb", "capacity": 10}, {"id": "o", "capacity": 1}],
        sources=[{"kind": "vehicles", "id": "src", "to": "v"}],
    )
    r = run(p, 12)
    # lot a: 0-1, 1-2, 2-3; die change 3-5; lot b: 5-6, ...; then a again (emptier)
    assert ops(r, 0)["end"][:7] == [1.0, 2.0, 3.0, 6.0, 7.0, 8.0, 11.0]
    setups = table(r, "setup")
    assert [r.records.names[i] for i in setups["to"]][:2] == ["b", "a"]


def _colour_plant(max_batch: int | None = None) -> Any:
    setup: dict[str, Any] = {"on": "colour", "time": 5}
    if max_batch:
        setup["max_batch"] = max_batch
    products = {"variants": [{"id": "v", "share": 1}],
                "colours": [{"id": "w", "share": 1}, {"id": "k", "share": 1}],
                "options": [{"id": "o", "take_rate": 0.5}]}
    return plant(
        stations=[{"id": "paint", "cycle": 10, "setup": setup, "inputs": ["i"],
                   "outputs": ["o"]}],
        buffers=[{"id": "i", "capacity": 1}, {"id": "o", "capacity": 1}],
        products=products,
    )


def test_setup_on_family_change() -> None:
    """Rule 12: w w k k k w -> purges before the 3rd and the 6th car (5 s each)."""
    orders = [Order(str(i), "v", c) for i, c in enumerate(["w", "w", "k", "k", "k", "w"])]
    r = run(_colour_plant(), 200, orders=orders)
    assert ops(r, 0)["end"] == [10.0, 20.0, 35.0, 45.0, 55.0, 70.0]
    assert table(r, "setup")["time"] == [20.0, 55.0]
    assert (20.0, U) in states(r, 0) and (25.0, W) in states(r, 0)


def test_max_batch_forces_setup() -> None:
    """Rule 12: with max_batch 2, four white cars need a gun cleaning before the 3rd."""
    orders = [Order(str(i), "v", "w") for i in range(4)]
    r = run(_colour_plant(max_batch=2), 200, orders=orders)
    assert ops(r, 0)["end"] == [10.0, 20.0, 35.0, 45.0]
    s = table(r, "setup")
    assert s["time"] == [20.0]
    assert s["from"] == s["to"]


def test_option_overload_ratio() -> None:
    """Rule 13: ratio 1/2 (no two option cars in a row); sequence o o - o - o o:
    overloads on vehicles 1 and 6, whose cycle is 10 x 1.5 = 15 s."""
    products = {"variants": [{"id": "v", "share": 1}], "colours": [{"id": "w", "share": 1}],
                "options": [{"id": "roof", "take_rate": 0.5}]}
    p = plant(
        stations=[{"id": "roof_st", "cycle": 10, "inputs": ["i"], "outputs": ["o"],
                   "option": {"option": "roof", "ratio": "1/2", "slowdown": 1.5}}],
        buffers=[{"id": "i", "capacity": 1}, {"id": "o", "capacity": 1}],
        products=products,
    )
    flags = [1, 1, 0, 1, 0, 1, 1]
    orders = [Order(str(i), "v", "w", ("roof",) if f else ()) for i, f in enumerate(flags)]
    r = run(p, 500, orders=orders)
    assert table(r, "overload")["vehicle"] == [1, 6]
    o = ops(r, 0)
    assert [e - s for s, e in zip(o["start"], o["end"], strict=True)] == [
        10, 15, 10, 10, 10, 10, 15]


def test_zero_capacity_handover() -> None:
    """Rule 15: m0 (10 s) -> capacity 0 -> m1 (30 s): m1 starts at 10, 40, 70; m0 holds
    its finished car (blocked) until m1 takes it."""
    p = serial_line([10, 30], capacity=0)
    r = run(p, 100)
    assert ops(r, 1)["start"][:3] == [10.0, 40.0, 70.0]
    assert (20.0, B) in states(r, 0)


def test_conveyor_transit_no_overtaking() -> None:
    """Rule 16: a 50 s conveyor between two 10 s stations: m1 starts 50 s after m0 ends,
    and the cars leave in the order they entered."""
    p = plant(
        stations=[{"id": "m0", "cycle": 10, "inputs": ["b0"], "outputs": ["conv"]},
                  {"id": "m1", "cycle": 10, "inputs": ["conv"], "outputs": ["b2"]}],
        buffers=[{"id": "b0", "capacity": 1}, {"id": "conv", "capacity": 5, "transit": 50},
                 {"id": "b2", "capacity": 1}],
    )
    r = run(p, 200)
    ends0 = ops(r, 0)["end"]
    starts1 = ops(r, 1)["start"]
    assert starts1[:3] == [e + 50 for e in ends0[:3]]
    assert ops(r, 1)["vehicle"] == sorted(ops(r, 1)["vehicle"])


def test_operating_basis_ages_only_when_busy() -> None:
    """Rule 17: fed every 20 s, busy 10 s of each 20; TTF 100 s of operation is reached
    as the 10th car finishes (t=210); the failure hits the next car at its start (220)."""
    p = serial_line([10], failures=[[{"ttf": 100, "ttr": 1}]], source={"interval": 20})
    r = run(p, 300)
    assert table(r, "downtime")["start"][0] == 220.0


def test_calendar_basis_ages_always() -> None:
    """Rule 17: the same station with calendar-basis failures fails at 100, 201, 302."""
    p = serial_line([10], failures=[[{"ttf": 100, "ttr": 1, "basis": "calendar"}]],
                    source={"interval": 20})
    r = run(p, 350)
    assert table(r, "downtime")["start"][:3] == [100.0, 201.0, 302.0]


def test_preempt_resume() -> None:
    """Rule 18: a 100 s cycle hit by a calendar failure at 60 (repair 20 s) resumes with
    40 s left at 80 and finishes at 120; the next failure is due 60 s after the repair."""
    p = serial_line([100], failures=[[{"ttf": 60, "ttr": 20, "basis": "calendar"}]])
    r = run(p, 150)
    assert ops(r, 0)["end"][0] == 120.0
    assert states(r, 0)[:4] == [(0.0, W), (60.0, F), (80.0, W), (140.0, F)]


def test_maintenance_window() -> None:
    """Rule 19: a window 50-80 stops a 100 s cycle, which finishes at 130; the stop is
    recorded as planned."""
    p = serial_line([100], calendar={"maintenance": [{"start": 50, "duration": 30}]})
    r = run(p, 200)
    assert ops(r, 0)["end"][0] == 130.0
    assert (50.0, P) in states(r, 0)
    down = table(r, "downtime")
    assert (down["start"], down["end"], down["planned"]) == ([50.0], [80.0], [1])


def test_sequence_order_kept() -> None:
    """Rule 20: vehicles enter in sequence order and the source stops at its end."""
    orders = [Order(f"ORD{i}", "v", "c") for i in range(5)]
    r = run(serial_line([10, 10]), 1000, orders=orders)
    assert r.records.orders == [o.order_id for o in orders]
    assert table(r, "dispatch")["vehicle"] == [0, 1, 2, 3, 4]


def test_call_off_lead_time() -> None:
    """Rule 21: each vehicle finishing m0 calls off one part, delivered 100 s later; the
    join at m1 therefore starts at 110, 120, 130 (m0 finishes every 10 s)."""
    p = plant(
        stations=[{"id": "m0", "cycle": 10, "inputs": ["b0"], "outputs": ["b1"]},
                  {"id": "m1", "cycle": 5, "inputs": ["b1", "stock"], "outputs": ["b2"]}],
        buffers=[{"id": "b0", "capacity": 1}, {"id": "b1", "capacity": 50},
                 {"id": "stock", "capacity": 50}, {"id": "b2", "capacity": 1}],
        sources=[{"kind": "vehicles", "id": "src", "to": "b0"},
                 {"kind": "parts", "id": "sup", "part": "pack", "to": "stock",
                  "call_off": "m0", "lead_time": 100}],
    )
    r = run(p, 135)
    assert ops(r, 1)["start"][:3] == [110.0, 120.0, 130.0]


def _agv_plant(size: int, distance: float = 60.0) -> Any:
    return plant(
        stations=[{"id": "m0", "cycle": 10, "inputs": ["b0"], "outputs": ["pick"]},
                  {"id": "m1", "cycle": 10, "inputs": ["drop"], "outputs": ["b3"]}],
        buffers=[{"id": "b0", "capacity": 1}, {"id": "pick", "capacity": 1, "node": "a"},
                 {"id": "drop", "capacity": 5, "node": "b"}, {"id": "b3", "capacity": 1}],
        fleets=[{"id": "agv", "size": size, "speed": 2.0, "load": 5, "unload": 5,
                 "home": "a",
                 "network": {"nodes": [{"id": "a", "x": 0, "y": 0},
                                       {"id": "b", "x": distance, "y": 0}],
                             "edges": [{"from": "a", "to": "b"}]},
                 "moves": [{"from": "pick", "to": "drop"}]}],
    )


def test_agv_transport_times() -> None:
    """Rule 23: 60 m at 2 m/s = 30 s; load 5, unload 5. Car 0 waits at the pickup from
    10: picked at 15, dropped at 50. The AGV returns empty (30 s) for car 1 (waiting
    since 20): dispatched 50, picked 85, dropped 120."""
    r = run(_agv_plant(size=1), 130)
    t = table(r, "transport")
    assert t["dispatched"][:2] == [10.0, 50.0]
    assert t["picked"][:2] == [15.0, 85.0]
    assert t["dropped"][:2] == [50.0, 120.0]


def test_agv_fleet_limits_flow() -> None:
    """Rule 23: one AGV needs 70 s per round trip (30 + 5 + 30 + 5), so it carries one
    car per 70 s. With three, the pickup place (capacity 1) holds each car until an AGV
    coming back from the drop has loaded it (30 + 5 s): one car per 35 s."""
    one = run(_agv_plant(size=1), 7000).completed
    three = run(_agv_plant(size=3), 7000).completed
    assert 98 <= one <= 100
    assert 198 <= three <= 200


def test_multi_server_station_counts_per_server() -> None:
    """Rule 9: three servers, 300 s each, one car every 200 s: each server is busy half
    of the time. Shares count per server (working 1/2, starved 1/2), and the station is
    never active for the bottleneck analysis: it always had a server to spare."""
    from taktline.analysis import compute_kpis

    p = plant(
        stations=[{"id": "cell", "servers": 3, "cycle": 300, "inputs": ["q"],
                   "outputs": ["out"]}],
        buffers=[{"id": "q", "capacity": 5}, {"id": "out", "capacity": 5}],
        sources=[{"kind": "vehicles", "id": "src", "to": "q", "interval": 200}],
    )
    k = compute_kpis(run(p, 60_200, warmup_s=200))
    cell = k.stations[0]
    assert cell.shares["working"] == pytest.approx(0.5, abs=0.005)
    assert cell.shares["starved"] == pytest.approx(0.5, abs=0.005)
    assert cell.mean_active_s == 0.0
    assert cell.oee.effectiveness == pytest.approx(1.0, abs=0.01)


def test_multi_server_station_saturated_is_active() -> None:
    """Rule 9: the same cell fed every 100 s keeps all three servers busy: working 100 %
    and one long active period."""
    from taktline.analysis import compute_kpis

    p = plant(
        stations=[{"id": "cell", "servers": 3, "cycle": 300, "inputs": ["q"],
                   "outputs": ["out"]}],
        buffers=[{"id": "q", "capacity": 5}, {"id": "out", "capacity": 5}],
        sources=[{"kind": "vehicles", "id": "src", "to": "q", "interval": 100}],
    )
    k = compute_kpis(run(p, 30_000, warmup_s=1_000))
    assert k.stations[0].shares["working"] == pytest.approx(1.0)
    assert k.stations[0].mean_active_s > 25_000


def test_quality_counts_each_stations_own_check() -> None:
    """Rule 7a: a gate fails its own check for about half of the cars and sends them to
    rework; the next gate (yield 1) passes every car and reworks none of them, although
    the reworked cars are not first-time good when they leave."""
    p = plant(
        stations=[
            {"id": "gate1", "cycle": 10, "inputs": ["b0"], "outputs": ["b1"],
             "quality": {"first_pass_yield": 0.5, "reject_to": "rw1"}},
            {"id": "fix1", "cycle": 5, "inputs": ["rw1"], "outputs": ["b1"]},
            {"id": "gate2", "cycle": 10, "inputs": ["b1"], "outputs": ["b2"],
             "quality": {"first_pass_yield": 1.0, "reject_to": "rw2"}},
            {"id": "fix2", "cycle": 5, "inputs": ["rw2"], "outputs": ["b2"]},
        ],
        buffers=[{"id": "b0", "capacity": 1}, {"id": "b1", "capacity": 5},
                 {"id": "rw1", "capacity": 5}, {"id": "rw2", "capacity": 5},
                 {"id": "b2", "capacity": 5}],
    )
    r = run(p, 20_000)
    g1, g2 = ops(r, 0)["good"], ops(r, 2)["good"]
    assert 0.4 < sum(g1) / len(g1) < 0.6
    assert all(g2)
    assert ops(r, 3)["end"] == []  # nobody went to gate2's rework
    good = table(r, "dispatch")["good"]
    assert 0.4 < sum(good) / len(good) < 0.6
