"""``taktline sequence check / solve``, run through the sub-app with Typer's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from taktline.commands.sequence import app
from taktline.plan.sequencing import evaluate, read_roadef, read_solution
from taktline.plant import load_plant
from taktline.plant.orders import Order, load_sequence, write_sequence
from tests.plan.cases import BENCH
from tests.plan.test_plant import random_orders

runner = CliRunner()
INSTANCE = BENCH / "roadef2005" / "B" / "028_ch2_EP_RAF_ENP_S23_J3"
DINCBAS = BENCH / "csplib" / "example_dincbas_10cars.txt"


def test_solve_then_check_a_roadef_instance(tmp_path: Path) -> None:
    sol, out = tmp_path / "sol.txt", tmp_path / "res.json"
    res = runner.invoke(app, ["solve", str(INSTANCE), "--time-limit", "5", "--iterations",
                              "100000", "--seed", "3", "--out", str(sol), "--json", str(out)])
    assert res.exit_code == 0, res.output
    data = json.loads(out.read_text())
    p = read_roadef(INSTANCE)
    score = evaluate(p, read_solution(p, sol))
    assert data["score"]["total"] == score.total and data["iterations"] == 100_000
    assert data["file_order"]["total"] == evaluate(p, list(range(p.n))).total
    assert f"{score.total:,}" in res.stdout and "file order" in res.stdout
    res = runner.invoke(app, ["check", str(INSTANCE), str(sol)])
    assert res.exit_code == 0
    assert f"{score.total:,}" in res.stdout and "HPRC" in res.stdout


def test_solve_csplib_reaches_zero() -> None:
    res = runner.invoke(app, ["solve", str(DINCBAS), "--time-limit", "20"])
    assert res.exit_code == 0
    assert "stopped: lower bound" in res.stdout


def test_solve_plant_orders_writes_a_sequence_the_twin_reads(tmp_path: Path) -> None:
    plant = load_plant("five_station_agv")
    orders = tmp_path / "orders.csv"
    write_sequence(random_orders(plant, 40, seed=2), orders)
    seq = tmp_path / "seq.csv"
    res = runner.invoke(app, ["solve", "--plant", "five_station_agv", "--orders", str(orders),
                              "--iterations", "20000", "--out", str(seq)])
    assert res.exit_code == 0, res.output
    assert "arrival order" in res.stdout
    assert len(load_sequence(seq, plant)) == 40
    res = runner.invoke(app, ["check", str(orders), str(seq), "--plant", "five_station_agv"])
    assert res.exit_code == 0 and "seq.csv" in res.stdout


def test_check_reports_a_broken_batch_limit(tmp_path: Path) -> None:
    orders = [Order(f"W{i}", "suv5", "white") for i in range(9)] + [Order("B", "suv7", "blue")]
    path = tmp_path / "orders.csv"
    write_sequence(orders, path)  # 9 white in a row > max_batch 8
    res = runner.invoke(app, ["check", str(path), str(path), "--plant", "five_station_agv"])
    assert res.exit_code == 1
    assert "paint batch limit broken: a run of 9 > 8" in res.stdout


def test_malformed_instance_exits_2_naming_file_line_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("4 1 2\n1\n2\n0 2 1\n1 2 7\n")
    res = runner.invoke(app, ["solve", str(bad), "--time-limit", "1"])
    assert res.exit_code == 2
    assert res.stderr.strip() == (f"error: {bad}:5 options: option flags must be 0 or 1 "
                                  "(got 7)")


def test_malformed_order_file_exits_2(tmp_path: Path) -> None:
    orders = tmp_path / "orders.csv"
    orders.write_text("order_id,variant,colour,options\nA1,suv5,white,\nA2,suv5,mauve,\n")
    res = runner.invoke(app, ["solve", "--plant", "five_station_agv", "--orders", str(orders)])
    assert res.exit_code == 2
    assert res.stderr.startswith(f"error: {orders}:3 colour: unknown colour 'mauve'")


def test_malformed_solution_exits_2(tmp_path: Path) -> None:
    sol = tmp_path / "sol.txt"
    sol.write_text("1;0\n1;0\n")
    res = runner.invoke(app, ["check", str(DINCBAS), str(sol)])
    assert res.exit_code == 2
    assert res.stderr.startswith(f"error: {sol}:2 rank: vehicle 1 appears twice")


def test_infeasible_batch_limit_exits_2(tmp_path: Path) -> None:
    white = [Order(f"W{i}", "suv5", "white") for i in range(19)]
    orders = tmp_path / "orders.csv"
    write_sequence([*white, Order("B", "suv7", "blue")], orders)  # 19 > 8 * (20 - 19 + 1)
    res = runner.invoke(app, ["solve", "--plant", "five_station_agv", "--orders", str(orders)])
    assert res.exit_code == 2
    assert "paint batch limit 8 cannot be met: colour white has 19 of 20 vehicles" in res.stderr


def test_missing_instance_is_a_usage_error() -> None:
    res = runner.invoke(app, ["solve", "--time-limit", "1"])
    assert res.exit_code == 2
