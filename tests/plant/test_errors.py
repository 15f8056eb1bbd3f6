"""Bad plant files: one clear message naming file, line, field and rule (and exit 2)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from taktline.errors import PlantError
from taktline.plant import load_plant, parse_plant

GOOD = """\
name: tiny
takt: 120
shops:
  - {id: body}
products:
  variants: [{id: suv, share: 1}]
  colours: [{id: white, share: 1}]
sources:
  - {kind: vehicles, id: release, to: b_in}
buffers:
  - {id: b_in, capacity: 2}
  - {id: b_out, capacity: 2}
stations:
  - id: weld
    shop: body
    servers: 1
    cycle: 110
    inputs: [b_in]
    outputs: [b_out]
    failures:
      - {ttf: {dist: exponential, mean: 8h}, ttr: 5min}
sinks:
  - {id: dispatch, from: b_out}
"""


def _error(text: str) -> PlantError:
    with pytest.raises(PlantError) as info:
        parse_plant(text, filename="plant.yaml")
    return info.value


def test_good_plant_loads() -> None:
    p = parse_plant(GOOD, filename="plant.yaml")
    assert p.stations[0].failures[0].ttf.mean_value == 8 * 3600
    assert p.stations[0].failures[0].ttr.mean_value == 300


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        # range rule: the example of the issue, down to the letter
        ("    servers: 1", "    servers: 0",
         "plant.yaml:16 stations[0].servers: must be >= 1 (got 0)"),
        # type rule
        ("    servers: 1", "    servers: two",
         "plant.yaml:16 stations[0].servers: must be a valid integer, unable to parse string "
         "as an integer (got 'two')"),
        # unknown field: an error, not ignored
        ("    servers: 1", "    severs: 1",
         "plant.yaml:16 stations[0].severs: unknown field (not part of the plant format; "
         "check the spelling)"),
        # missing field
        ("    cycle: 110\n", "", "plant.yaml:14 stations[0].cycle: required field is missing"),
        # unknown reference
        ("    inputs: [b_in]", "    inputs: [b_inn]",
         "plant.yaml:18 stations[0].inputs[0]: unknown buffer 'b_inn'"),
        # bad distribution kind
        ("{dist: exponential, mean: 8h}", "{dist: expo, mean: 8h}",
         "plant.yaml:21 stations[0].failures[0].ttf: unknown kind 'expo'; expected one of"),
        # bad duration
        ("ttr: 5min", "ttr: 5 minutes",
         "plant.yaml:21 stations[0].failures[0].ttr: not a duration: '5 minutes'"),
        # duplicate id
        ("  - {id: b_out, capacity: 2}", "  - {id: b_in, capacity: 2}",
         "plant.yaml:12 buffers[1].id: id 'b_in' is already used by buffers[0]"),
        # enum
        ("{kind: vehicles,", "{kind: cars,", "plant.yaml:9 sources[0]: unknown kind 'cars'"),
        # negative capacity
        ("{id: b_out, capacity: 2}", "{id: b_out, capacity: -1}",
         "plant.yaml:12 buffers[1].capacity: must be >= 0 (got -1)"),
    ],
)
def test_error_names_file_line_field_rule(old: str, new: str, message: str) -> None:
    assert old in GOOD
    err = _error(GOOD.replace(old, new, 1))
    assert str(err).startswith(message), str(err)


def test_yaml_syntax_error_has_line() -> None:
    err = _error(GOOD.replace("  - {id: body}", "  - {id: body"))
    assert str(err).startswith("plant.yaml:5 YAML syntax"), str(err)


def test_duplicate_key_is_an_error() -> None:
    err = _error(GOOD.replace("    servers: 1", "    servers: 1\n    servers: 2"))
    assert "plant.yaml:17 stations[0].servers: duplicate key (first at line 16)" in str(err)


def test_not_a_mapping() -> None:
    assert str(_error("- just\n- a list\n")) == (
        "plant.yaml:1 the plant file must be a mapping of fields")


def test_buffer_without_consumer() -> None:
    text = GOOD.replace("  - {id: b_out, capacity: 2}", "  - {id: b_out, capacity: 2}\n"
                        "  - {id: lost, capacity: 2}")
    assert "buffers[2].id: buffer 'lost' has no consumer" in str(_error(text))


def test_cross_field_rule_in_distribution() -> None:
    err = _error(GOOD.replace("cycle: 110", "cycle: {dist: normal, mean: 110, sd: 3, min: 120}"))
    assert str(err).startswith("plant.yaml:17 stations[0].cycle: mean must lie within [min, max]")


def test_several_problems_are_counted_and_listed() -> None:
    text = GOOD.replace("servers: 1", "servers: 0").replace("capacity: 2}", "capacity: -2}")
    err = _error(text)
    assert "(and 2 more problems)" in str(err)
    assert len(err.problems) == 3
    assert [p.line for p in err.problems] == sorted(p.line or 0 for p in err.problems)


def test_missing_file_names_bundled_plants() -> None:
    with pytest.raises(PlantError, match="no such plant file"):
        load_plant("does/not/exist.yaml")


def test_yes_no_on_off_stay_strings() -> None:
    """YAML 1.1 reads `on` as true; the plant format reads it as the word."""
    setup = "    servers: 1\n    setup: {on: colour, time: 20}"
    p = parse_plant(GOOD.replace("    servers: 1", setup))
    assert p.stations[0].setup is not None and p.stations[0].setup.on == "colour"


def test_cli_exits_2_with_one_line_and_no_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "plant.yaml"
    bad.write_text(GOOD.replace("    servers: 1", "    servers: 0"))
    proc = subprocess.run([sys.executable, "-m", "taktline.cli", "simulate", str(bad)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert lines == [f"error: {bad}:16 stations[0].servers: must be >= 1 (got 0)"]


def test_cli_plant_check_lists_every_problem(tmp_path: Path) -> None:
    bad = tmp_path / "plant.yaml"
    bad.write_text(GOOD.replace("servers: 1", "servers: 0").replace("ttr: 5min", "ttr: soon"))
    proc = subprocess.run([sys.executable, "-m", "taktline.cli", "plant", "check", str(bad)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 2
    assert len([ln for ln in proc.stderr.splitlines() if ln.strip()]) == 2


def test_one_way_network_must_lead_back_home() -> None:
    """A one-way edge that strands an AGV is refused with the edges' line (plant/check.py):
    from d1 only the one-way edge p1 -> d1 arrives, nothing leaves."""
    from taktline.plant.load import plant_path

    text = plant_path("five_station_agv").read_text(encoding="utf-8")
    ok = parse_plant(text, filename="agv.yaml")
    assert ok.fleets[0].network.edges[0].two_way
    bad = text.replace("{from: p1, to: d1}", "{from: p1, to: d1, two_way: false}").replace(
        "{from: h, to: d1}", "{from: h, to: d1, two_way: false}")
    err = _error(bad)
    line = bad.splitlines().index("      edges:") + 1
    assert str(err) == (f"plant.yaml:{line} fleets[0].network.edges: along one-way edges, "
                        "['d1'] cannot get back home"), str(err)
