"""Instance readers (ROADEF 2005 folders, CSPLib files), their quirks, solution files,
and malformed input refused with file, line and field."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import numpy as np
import pytest

from taktline.errors import InstanceError, SequenceError
from taktline.plan.sequencing import (
    Objective,
    format_solution,
    load_instance,
    parse_csplib,
    parse_solution,
    read_csplib,
    read_roadef,
    read_solution,
    write_solution,
)
from tests.plan.cases import BENCH

ROADEF = BENCH / "roadef2005"
ORDER = {"HPRC(easy)": Objective.HPRC, "HPRC(difficult)": Objective.HPRC,
         "PCC": Objective.PCC, "LPRC": Objective.LPRC}


def _catalogue() -> list[dict[str, str]]:
    with (ROADEF / "instances.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_every_roadef_instance_matches_the_catalogue() -> None:
    rows = _catalogue()
    assert len(rows) == 61
    for row in rows:
        p = read_roadef(ROADEF / row["set"] / row["instance"])
        assert p.n == int(row["cars_day_D"]), row["instance"]
        assert p.m == int(row["cars_day_D_minus_1"]), row["instance"]
        assert len(set(p.colours.tolist())) == int(row["colors_in_D"]), row["instance"]
        assert int(p.high_priority.sum()) == int(row["hprc"]), row["instance"]
        assert p.k - int(p.high_priority.sum()) == int(row["lprc"]), row["instance"]
        assert p.batch_limit == int(row["paint_batch_limit"]), row["instance"]
        assert p.objectives == tuple(ORDER[o] for o in row["objective_order"].split(">"))


def test_every_csplib_instance_parses() -> None:
    files = sorted((BENCH / "csplib").glob("set*/*.txt"))
    assert len(files) == 79
    for f in files:
        p = read_csplib(f)
        assert p.n in (100, 200) and p.k == 5 and p.batch_limit is None and p.m == 0
        assert p.windows == "full" and p.rank_weights == (1,)


def test_dincbas_example_is_read_class_by_class() -> None:
    p = read_csplib(BENCH / "csplib" / "example_dincbas_10cars.txt")
    assert p.vehicle_ids == ("0", "1", "2", "2", "3", "3", "4", "4", "5", "5")
    assert p.ratio_max.tolist() == [1, 2, 1, 2, 1]
    assert p.ratio_window.tolist() == [2, 3, 3, 5, 5]
    assert p.options[0].tolist() == [1, 0, 1, 1, 0]  # class 0: options 1, 3, 4


def _tiny_roadef(root: Path, vehicles: str, ratios: str = "Ratio;Prio;Ident;\n1/2;1;H1;\n",
                 limit: str = "limitation;\n3;", objectives: str | None = None) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "optimization_objectives.txt").write_text(
        objectives or "rank;objective name;\n1;paint_color_batches;\n"
        "2;high_priority_level_and_easy_to_satisfy_ratio_constraints;\n")
    (root / "paint_batch_limit.txt").write_text(limit)
    (root / "ratios.txt").write_text(ratios)
    (root / "vehicles.txt").write_text(vehicles)
    return root


def test_roadef_quirks(tmp_path: Path) -> None:
    """No trailing ';' on some lines, no final newline, a blank line, 'ident' in lower
    case, vehicle columns in another order than ratios.txt, D-1 rows first."""
    root = _tiny_roadef(
        tmp_path / "inst",
        "Date;SeqRank;Ident;Paint Color;L1;H1\n"
        "2004 1 1;7;X;2;0;1;\n"
        "2004 1 2;1;A;2;1;0\n\n"
        "2004 1 2;2;A;5;0;1;\n"
        "2004 1 2;3;007;2;1;1",
        ratios="Ratio;Prio;ident;\n1/2;1;H1\n2/3;0;L1;\n",
    )
    p = read_roadef(root)
    assert (p.m, p.n, p.k) == (1, 3, 2)
    assert p.vehicle_ids == ("A", "A", "007")
    assert p.option_names == ("H1", "L1")
    assert p.options.tolist() == [[0, 1], [1, 0], [1, 1]]
    assert p.prefix_options.tolist() == [[1, 0]]
    assert [p.colour_names[c] for c in p.colours] == ["2", "5", "2"]
    assert p.high_priority.tolist() == [True, False]
    assert p.objectives == (Objective.PCC, Objective.HPRC)
    assert p.weights == (1_000, 1_000_000, 0)


VEH = "Date;SeqRank;Ident;Paint Color;H1;\n2004 1 1;1;A;1;0;\n2004 1 2;1;B;1;1;\n"


@pytest.mark.parametrize(
    ("file", "text", "message"),
    [
        ("ratios.txt", "Ratio;Prio;Ident;\n1-2;1;H1;\n",
         "ratios.txt:2 Ratio: must be N/P with whole numbers"),
        ("ratios.txt", "Ratio;Prio;Ident;\n1/2;2;H1;\n", "ratios.txt:2 Prio: must be 0 or 1"),
        ("vehicles.txt", VEH + "2004 1 2;2;C;1;x;\n", "vehicles.txt:4 H1: must be 0 or 1"),
        ("vehicles.txt", VEH + "2004 1 2;2;C;1;\n", "vehicles.txt:4 expected 5 fields, got 4"),
        ("vehicles.txt", VEH + "2004 1 1;2;C;1;0;\n",
         "vehicles.txt:4 Date: day D-1 vehicles must all come before day D"),
        ("vehicles.txt", VEH + "2004 1 2;two;C;1;0;\n",
         "vehicles.txt:4 SeqRank: must be a whole number"),
        ("vehicles.txt", "Date;SeqRank;Ident;Paint Color;H2;\n",
         "vehicles.txt:1 header: no column for ratio 'H1'"),
        ("paint_batch_limit.txt", "limitation;\n0;",
         "paint_batch_limit.txt:2 limitation: must be >= 1"),
        ("optimization_objectives.txt", "rank;objective name;\n1;fastest_cars;\n",
         "optimization_objectives.txt:2 objective name: unknown objective 'fastest_cars'"),
    ],
)
def test_malformed_roadef_names_file_line_field(tmp_path: Path, file: str, text: str,
                                                message: str) -> None:
    root = _tiny_roadef(tmp_path / "inst", VEH)
    (root / file).write_text(text)
    with pytest.raises(InstanceError) as info:
        read_roadef(root)
    assert str(info.value).startswith(f"{root / file}:" + message.split(":", 1)[1]), info.value


def test_missing_roadef_file(tmp_path: Path) -> None:
    root = _tiny_roadef(tmp_path / "inst", VEH)
    (root / "ratios.txt").unlink()
    with pytest.raises(InstanceError, match=r"ratios\.txt missing file of a ROADEF instance"):
        read_roadef(root)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("% c\n4 1 2\n1\n2\n0 2 1\n1 2 x\n", "bad.txt:6 expected whole numbers (got 'x')"),
        ("4 1 2\n1\n2\n0 2 1\n1 2\n", "bad.txt:5 class 1: id count and 1 option flags: expected 3"),
        ("4 1 2\n1\n2\n0 2 1\n1 1 0\n", "bad.txt:1 cars: class counts add up to 3, not 4 cars"),
        ("4 1 2\n3\n2\n0 2 1\n1 2 0\n", "bad.txt:3 option 1: needs 0 <= p <= q"),
        ("4 1 2\n1\n2\n0 2 1\n1 2 2\n", "bad.txt:5 options: option flags must be 0 or 1"),
        ("4 1 2\n1\n2\n0 2 1\n", "bad.txt:4 file ends early"),
    ],
)
def test_malformed_csplib_names_file_line_field(text: str, message: str) -> None:
    with pytest.raises(InstanceError) as info:
        parse_csplib(text, filename="bad.txt")
    assert str(info.value).startswith(message), info.value


def test_load_instance_tells_the_formats_apart(tmp_path: Path) -> None:
    assert load_instance(ROADEF / "A" / "022_3_4_EP_RAF_ENP").windows == "roadef"
    assert load_instance(BENCH / "csplib" / "example_dincbas_10cars.txt").windows == "full"
    orders = tmp_path / "orders.csv"
    orders.write_text("order_id,variant,colour,options\nA,suv5,white,\n")
    with pytest.raises(InstanceError, match=r"orders\.csv:1 an order file: give the plant"):
        load_instance(orders)
    with pytest.raises(InstanceError, match="not a ROADEF 2005 instance"):
        load_instance(tmp_path)


def test_solution_round_trip(tmp_path: Path) -> None:
    src = ROADEF / "B" / "028_ch2_EP_ENP_RAF_S23_J3"
    shutil.copytree(src, tmp_path / src.name)
    p = read_roadef(tmp_path / src.name)
    order = np.random.default_rng(1).permutation(p.n)
    path = tmp_path / "sol.txt"
    write_solution(p, order, path)
    assert read_solution(p, path).tolist() == order.tolist()
    first = path.read_text().splitlines()[2]
    assert first == f"{order[0] + 1};{p.vehicle_ids[order[0]]}"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("1;0\n1;0\n", "sol.txt:3 rank: vehicle 1 appears twice (first on line 2)"),
        ("1;0\n11;5\n", "sol.txt:3 rank: must be 1..10 (got 11)"),
        ("1;0\n2;7\n", "sol.txt:3 ident: vehicle 2 of example_dincbas_10cars is '1', not '7'"),
        ("1;0\nx;1\n", "sol.txt:3 rank: must be a whole number (got 'x')"),
        ("1;0\n2;1\n", "sol.txt 2 vehicles, but example_dincbas_10cars has 10"),
    ],
)
def test_malformed_solution_names_file_line_field(body: str, message: str) -> None:
    p = read_csplib(BENCH / "csplib" / "example_dincbas_10cars.txt")
    with pytest.raises(SequenceError) as info:
        parse_solution(p, "# comment\n" + body, filename="sol.txt")
    assert str(info.value).startswith(message), info.value


def test_solution_text_lists_every_vehicle() -> None:
    p = read_csplib(BENCH / "csplib" / "example_dincbas_10cars.txt")
    text = format_solution(p, list(range(9, -1, -1)))
    assert parse_solution(p, text).tolist() == list(range(9, -1, -1))
