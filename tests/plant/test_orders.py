"""Sequence / order CSV files: read, written back, and refused with file, line, field."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from taktline.errors import SequenceError
from taktline.plant import load_plant
from taktline.plant.orders import Order, load_sequence, parse_sequence, write_sequence

PLANT = load_plant("five_station_agv")
HEAD = "order_id,variant,colour,options\n"


def test_round_trip(tmp_path: Path) -> None:
    orders = [Order("A1", "suv5", "white", ("sunroof",)), Order("A2", "suv7", "blue")]
    path = tmp_path / "seq.csv"
    write_sequence(orders, path)
    assert load_sequence(path, PLANT) == orders


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("A1,suv9,white,\n", "seq.csv:2 variant: unknown variant 'suv9'"),
        ("A1,suv5,white,\nA2,suv5,pink,\n", "seq.csv:3 colour: unknown colour 'pink'"),
        ("A1,suv5,white,sunroof+hitch\n", "seq.csv:2 options: unknown option 'hitch'"),
        ("A1,suv5,white,\nA1,suv5,white,\n",
         "seq.csv:3 order_id: duplicate order id 'A1' (first on line 2)"),
        ("A1,suv5\n", "seq.csv:2 expected 4 fields, got 2"),
        (",suv5,white,\n", "seq.csv:2 order_id: must not be empty"),
    ],
)
def test_bad_rows(body: str, message: str) -> None:
    with pytest.raises(SequenceError) as info:
        parse_sequence(HEAD + body, PLANT, filename="seq.csv")
    assert str(info.value).startswith(message), str(info.value)


def test_bad_header() -> None:
    with pytest.raises(SequenceError, match=r"seq.csv:1 header: header must be"):
        parse_sequence("id,variant,colour,options\n", PLANT, filename="seq.csv")


def test_empty_file() -> None:
    with pytest.raises(SequenceError, match=r"seq\.csv:1 empty file"):
        parse_sequence("", PLANT, filename="seq.csv")


def test_cli_bad_sequence_exits_2(tmp_path: Path) -> None:
    seq = tmp_path / "seq.csv"
    seq.write_text(HEAD + "A1,suv5,mauve,\n")
    proc = subprocess.run(
        [sys.executable, "-m", "taktline.cli", "simulate", "five_station_agv", "--days", "0.1",
         "--sequence", str(seq)], capture_output=True, text=True, check=False)
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"error: {seq}:2 colour: unknown colour 'mauve' " \
        "(plant has ['black', 'blue', 'white'])"
