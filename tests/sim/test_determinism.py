"""Same plant, same seed: the same records, bit for bit; streams independent by name."""

from __future__ import annotations

import os
import subprocess
import sys

from taktline.plant import load_plant
from tests.builders import digest, plant, run, table

DIGEST_SCRIPT = """
from taktline.plant import load_plant
from tests.builders import digest, run
print(digest(run(load_plant("five_station_agv"), 86_400.0, seed=7)))
"""


def test_same_seed_same_records() -> None:
    p = load_plant("five_station_agv")
    assert digest(run(p, 86_400.0, seed=7)) == digest(run(p, 86_400.0, seed=7))


def test_other_seed_other_records() -> None:
    p = load_plant("five_station_agv")
    assert digest(run(p, 86_400.0, seed=7)) != digest(run(p, 86_400.0, seed=8))


def test_same_records_in_another_process_and_hash_seed() -> None:
    """No dependence on Python's per-process string hashing or on import order."""
    here = digest(run(load_plant("five_station_agv"), 86_400.0, seed=7))
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, "-c", DIGEST_SCRIPT], capture_output=True,
                         text=True, check=True, env=env,
                         cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
    assert out.stdout.strip() == here


def _two_stations(second_cycle: float) -> object:
    fail = [{"name": "f", "ttf": {"dist": "exponential", "mean": 2000},
             "ttr": {"dist": "exponential", "mean": 100}, "basis": "calendar"}]
    return plant(
        stations=[{"id": "a", "cycle": 50, "inputs": ["b0"], "outputs": ["b1"], "failures": fail},
                  {"id": "b", "cycle": second_cycle, "inputs": ["b1"], "outputs": ["b2"]}],
        buffers=[{"id": "b0", "capacity": 1}, {"id": "b1", "capacity": 2},
                 {"id": "b2", "capacity": 1}],
    )


def test_streams_independent_of_other_stations() -> None:
    """Common random numbers: changing station b's cycle leaves station a's failure and
    repair draws as they were (its calendar-basis downtimes are the same)."""
    slow = table(run(_two_stations(60), 50_000.0, seed=3), "downtime")
    fast = table(run(_two_stations(40), 50_000.0, seed=3), "downtime")
    assert slow["start"] == fast["start"]
    assert slow["end"] == fast["end"]
