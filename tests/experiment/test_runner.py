"""The runner: the same results on every backend, resumable runs, MSER-5 warm-up."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from taktline.errors import ScenarioError
from taktline.experiment import ExperimentResult, load_scenario, run_experiment
from taktline.experiment.store import RunStore
from tests.experiment.conftest import write


def _runs(result: ExperimentResult) -> list[dict[str, Any]]:
    """Everything but the wall-clock time, which no backend can repeat."""
    return [{k: v for k, v in r.items() if k != "wall_s"} for r in result.runs]


def test_same_results_serial_pool_and_dask_local(tiny: Path) -> None:
    serial = run_experiment(tiny, workers=1)
    pool = run_experiment(tiny, workers=2)
    dask = run_experiment(tiny, workers=2, dask="local")
    assert (serial.backend, pool.backend, dask.backend) == ("serial", "local", "dask")
    assert _runs(serial) == _runs(pool) == _runs(dask)
    assert serial.table().equals(dask.table())
    # and the scenarios did differ: more repair time, less output (same seeds)
    tp = serial.values("throughput_jph")
    assert sum(tp["b1=4,mttr=30min"]) < sum(tp["b1=4,mttr=5min"])


def test_dask_at_a_scheduler_address(tiny: Path) -> None:
    from distributed import LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                      dashboard_address=None) as cluster:
        remote = run_experiment(tiny, dask=cluster.scheduler_address)
    assert remote.backend == "dask"
    assert _runs(remote) == _runs(run_experiment(tiny, workers=1))


class Interrupt(Exception):
    """Stands for Ctrl-C in the middle of an experiment."""


def test_interrupted_run_resumes_without_redoing_finished_runs(tiny: Path,
                                                               tmp_path: Path) -> None:
    out = tmp_path / "out"

    def stop_after_five(done: int, total: int) -> None:
        if done == 5:
            raise Interrupt

    with pytest.raises(Interrupt):
        run_experiment(tiny, workers=1, out=out, progress=stop_after_five)
    assert len(RunStore(out)) == 5  # stored as they completed
    seen: list[tuple[int, int]] = []
    resumed = run_experiment(tiny, workers=2, out=out,
                             progress=lambda d, t: seen.append((d, t)))
    assert (resumed.reused, resumed.ran) == (5, 7)
    assert seen[-1] == (12, 12) and [d for d, _ in seen] == list(range(1, 13))
    again = run_experiment(tiny, workers=1, out=out)
    assert (again.reused, again.ran) == (12, 0)
    assert _runs(resumed) == _runs(run_experiment(tiny, workers=1))
    # a half-written file (a crash while writing) is not trusted: the run is redone
    stored = sorted((out / "runs").glob("*.json"))[0]
    stored.write_text(stored.read_text()[:40], encoding="utf-8")
    assert run_experiment(tiny, workers=1, out=out).ran == 1


def test_outputs_are_written(tiny: Path, tmp_path: Path) -> None:
    out = tmp_path / "res"
    result = run_experiment(tiny, workers=1, out=out)
    for name in ("results.parquet", "results.csv", "stations.parquet", "stations.csv",
                 "summary.csv", "comparisons.csv", "report.html", "experiment.json"):
        assert (out / name).stat().st_size > 0, name
    meta = json.loads((out / "experiment.json").read_text())
    assert meta["seeds"] == [11, 12, 13] and meta["base"] == result.experiment.base


def test_mser5_warmup_is_detected_and_used(tmp_path: Path) -> None:
    text = """\
name: warm
plant: five_station_agv
replications: 2
run: {length: 2d, warmup: {method: mser5, pilot_replications: 2, series: wip}}
"""
    result = run_experiment(write(tmp_path, text), workers=1)
    w = result.warmup
    assert w.method == "mser5" and w.truncation is not None and w.truncation.reliable
    # the line fills from empty: WIP climbs for the first hours, so something is cut
    assert 0 < w.seconds <= 24 * 3600 and w.seconds == w.truncation.observations * 3600
    assert w.series[0] < w.series[-1]
    assert all(r["warmup_s"] == w.seconds for r in result.runs)
    assert all(r["horizon_s"] == w.seconds + 2 * 86400 for r in result.runs)


def test_mser5_refuses_a_run_too_short(tmp_path: Path) -> None:
    """The reference plant fills for ~5 h: in 15 h (3 batches of 5) the truncation lands
    on the boundary of the searched half; in 6 h there are not even 2 batches."""
    text = """\
name: short
plant: default
replications: 2
run: {length: 15h, warmup: {method: mser5, pilot_replications: 1, series: wip}}
"""
    with pytest.raises(ScenarioError, match=r"scenario.yaml:4 run.warmup: MSER-5 truncates"):
        run_experiment(write(tmp_path, text), workers=1)
    with pytest.raises(ScenarioError, match=r"run.warmup: MSER-5: MSER needs at least 2"):
        run_experiment(write(tmp_path, text.replace("15h", "6h")), workers=1)


def test_bad_backend_options(tiny: Path) -> None:
    from taktline.errors import InputError

    with pytest.raises(InputError, match="--workers"):
        run_experiment(tiny, workers=0)
    with pytest.raises(InputError, match="cannot reach the Dask scheduler"):
        run_experiment(load_scenario(tiny), dask="tcp://127.0.0.1:9")
