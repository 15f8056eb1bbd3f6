"""Scenario files: designs, the base, constraints, seeds, and errors with file:line field."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from taktline.errors import InputError, ScenarioError
from taktline.experiment import load_scenario, parse_scenario
from taktline.experiment.runner import scenario_tasks
from tests.experiment.conftest import write

HEAD = "name: t\nplant: two_station\nrun: {length: 6h, warmup: 1h}\n"


def test_full_factorial_has_every_combination(tiny: Path) -> None:
    exp = load_scenario(tiny)
    assert [s.name for s in exp.scenarios] == [
        "b1=1,mttr=5min", "b1=1,mttr=30min", "b1=4,mttr=5min", "b1=4,mttr=30min"]
    # the plant as written (b1 = 4, MTTR 5 min) is a design point: it is the base
    assert exp.base == "b1=4,mttr=5min"
    s = exp.scenario("b1=1,mttr=30min")
    assert s.plant.buffer("b1").capacity == 1
    assert s.plant.station("m2").failures[0].ttr.mean_value == 1800.0
    assert s.levels == {"b1": 1.0, "mttr": 1800.0}
    assert s.plant.station("m1") == exp.base_plant.station("m1")


def test_a_base_is_added_when_no_point_is_the_plant() -> None:
    exp = parse_scenario(HEAD + "factors:\n  b1: {path: buffers.b1.capacity, values: [1, 2]}\n")
    assert [s.name for s in exp.scenarios] == ["base", "b1=1", "b1=2"]
    assert exp.base == "base" and exp.scenario("base").plant == exp.base_plant


def test_list_design_and_named_base() -> None:
    exp = parse_scenario(HEAD + """\
factors:
  b1: {path: buffers.b1.capacity, values: [1]}
  speed: {path: stations.m2.cycle}
  both: {path: [stations.m1.cycle, stations.m2.cycle], values: [100]}
design:
  kind: list
  scenarios:
    - {name: small, values: {b1: 1}}
    - {name: fast, values: {speed: 90, b1: 8}}
    - {name: balanced, values: {both: 100}}
base: small
""".replace("{path: stations.m2.cycle}", "{path: stations.m2.cycle, low: 80, high: 120}"))
    assert exp.base == "small"
    fast = exp.scenario("fast")
    assert fast.plant.station("m2").cycle.mean_value == 90.0 and fast.levels["b1"] == 8.0
    balanced = exp.scenario("balanced").plant
    assert balanced.station("m1").cycle.mean_value == balanced.station("m2").cycle.mean_value == 100


def test_latin_hypercube_strata_and_seed() -> None:
    """McKay, Beckman & Conover (1979): with n samples each factor's range is cut into n
    equal strata and every stratum holds exactly one sample."""
    text = HEAD + """\
factors:
  c1: {path: stations.m1.cycle, low: 90, high: 110}
  b1: {path: buffers.b1.capacity, low: 1, high: 10, integer: true}
design: {kind: latin_hypercube, samples: 10, seed: 3}
"""
    exp = parse_scenario(text)
    points = [s for s in exp.scenarios if s.name != "base"]
    assert len(points) == 10
    c1 = np.array([s.values["c1"] for s in points])
    assert sorted(np.floor((c1 - 90) / 2).astype(int)) == list(range(10))
    assert sorted(s.values["b1"] for s in points) == list(range(1, 11))
    again = parse_scenario(text)
    assert [s.values for s in again.scenarios] == [s.values for s in exp.scenarios]
    other = parse_scenario(text.replace("seed: 3", "seed: 4"))
    assert [s.values for s in other.scenarios] != [s.values for s in exp.scenarios]


def test_constraints_drop_design_points() -> None:
    exp = parse_scenario(HEAD + """\
factors:
  b1: {path: buffers.b1.capacity, values: [1, 2, 4, 8]}
  b2: {path: buffers.b2.capacity, values: [1, 2, 4, 8]}
constraints:
  - {name: budget, sum: [b1, b2], max: 6}
""")
    totals = [s.levels["b1"] + s.levels["b2"] for s in exp.scenarios]
    # 8 of the 16 points fit; the plant as written (b1 4, b2 1) is one of them
    assert max(totals) <= 6 and len(exp.scenarios) == 8
    assert exp.base == "b1=4,b2=1"


def test_common_random_numbers_across_scenarios(tiny: Path) -> None:
    exp = load_scenario(tiny)
    tasks = scenario_tasks(exp, exp.scenarios, 3600.0)
    by_rep: dict[int, set[int]] = {}
    for t in tasks:
        by_rep.setdefault(t.replication, set()).add(t.seed)
    assert by_rep == {1: {11}, 2: {12}, 3: {13}}
    assert len({t.key for t in tasks}) == len(tasks) == 12


def test_plant_path_is_relative_to_the_scenario_file(tmp_path: Path) -> None:
    (tmp_path / "plants").mkdir()
    plant = load_scenario_plant_text()
    (tmp_path / "plants" / "line.yaml").write_text(plant, encoding="utf-8")
    path = write(tmp_path, HEAD.replace("two_station", "plants/line.yaml"))
    assert load_scenario(path).base_plant.name == "copied-line"


def load_scenario_plant_text() -> str:
    from taktline.plant.load import plant_path

    text = plant_path("two_station").read_text(encoding="utf-8")
    return text.replace("name: two-station", "name: copied-line")


@pytest.mark.parametrize(("body", "where", "rule"), [
    ("factros: {}\n", ":4 factros:", "unknown field (not part of the scenario format"),
    ("factors:\n  b: {path: buffers.B12.capacity, values: [1]}\n",
     ":5 factors.b.path:", "no item 'B12' in buffers (ids: b0, b1, b2)"),
    ("factors:\n  b:\n    path: buffers.b1.capacity\n    values: [2, -1]\n",
     ":7 factors.b.values[1]:",
     "buffers.b1.capacity = -1 makes the plant invalid: buffers[1].capacity: must be >= 0"),
    ("factors:\n  b: {path: buffers.b1.capacity}\n",
     ":5 factors.b:", "give values (a list of levels) or a range (low and high)"),
    ("kpis: [throughput_jph, speed]\n", ":4 kpis[1]:", "unknown KPI 'speed'"),
    ("replications: 1\n", ":4 replications:", "must be >= 2 (got 1)"),
    ("design: {kind: latin_hypercube}\n", ":4 design.samples:", "required field is missing"),
    ("seeds: [1, 2]\n", ":4 seeds:", "give one seed per replication (5, got 2)"),
])
def test_errors_name_file_line_and_field(tmp_path: Path, body: str, where: str,
                                         rule: str) -> None:
    path = write(tmp_path, HEAD + body)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    message = str(info.value)
    assert message.startswith(f"{path}{where} ")
    assert rule in message
    assert isinstance(info.value, InputError)


def test_missing_plant_and_file(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r":2 plant: no plant file or bundled plant 'nope'"):
        load_scenario(write(tmp_path, HEAD.replace("two_station", "nope")))
    with pytest.raises(ScenarioError, match="no such plant file"):
        load_scenario(write(tmp_path, HEAD.replace("two_station", "x/none.yaml")))
    with pytest.raises(ScenarioError, match="no such scenario file"):
        load_scenario(tmp_path / "absent.yaml")
    with pytest.raises(ScenarioError, match="YAML syntax"):
        parse_scenario("name: [unclosed\n")
