"""One task = one replication of one scenario: run the twin, keep a compact summary.

A task carries its plant as JSON, so it pickles small and runs the same in a local
process, a Dask worker on another machine, or the calling process. Its summary is plain
JSON (numbers, lists, dicts): it is stored on disk as it is, and results read back from
disk are the results of the run, bit for bit.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from taktline.analysis.kpis import SHARE_NAMES, KpiReport, compute_kpis
from taktline.analysis.report import throughput_series, wip_series
from taktline.plant.schema import Plant
from taktline.sim.run import Run, run_twin

__all__ = [
    "FORMAT",
    "HIGHER_IS_BETTER",
    "KPI_NAMES",
    "Task",
    "higher_is_better",
    "kpi_of",
    "kpi_values",
    "make_task",
    "run_task",
    "summarise",
]

FORMAT = 1
"""Version of the stored summary; part of every task key."""

HIGHER_IS_BETTER: dict[str, bool] = {
    "throughput_jph": True,
    "vehicles_completed": True,
    "good_vehicles": True,
    "design_rate_share": True,
    "takt_attainment": True,
    "mean_interdeparture_s": False,
    "p95_interdeparture_s": False,
    "lead_time_mean_s": False,
    "lead_time_p95_s": False,
    "wip_mean": False,
    "oee": True,
    "availability": True,
    "effectiveness": True,
    "quality": True,
    "colour_purges": False,
    "overloads": False,
    "bottleneck_share": False,
}
"""The plant-level KPIs of every run (definitions in docs/kpis.md) and their direction.
Fleets add ``agv_busy_share.<fleet>`` and ``agv_transport_s.<fleet>`` (lower is better)."""

KPI_NAMES = tuple(HIGHER_IS_BETTER)


STATION_MEASURES = (*SHARE_NAMES, "planned", "oee")
"""Per-station KPIs, named ``stations.<id>.<measure>`` (e.g. ``stations.press_b.setup``)."""


def higher_is_better(kpi: str) -> bool:
    """Whether a larger value of ``kpi`` is better (for rankings and optimisation)."""
    if kpi.startswith("stations."):
        return kpi.rsplit(".", 1)[-1] in ("working", "oee")
    return HIGHER_IS_BETTER.get(kpi, not kpi.startswith("agv_"))


def kpi_of(summary: dict[str, Any], kpi: str) -> float:
    """The value of ``kpi`` in a run's summary (plant-level or ``stations.<id>.<measure>``)."""
    if kpi.startswith("stations.") and kpi not in summary["kpis"]:
        station, _, measure = kpi[len("stations."):].rpartition(".")
        return float(summary["stations"][station][measure])
    return float(summary["kpis"][kpi])


@dataclass(frozen=True, slots=True)
class Task:
    """One replication of one scenario."""

    key: str
    scenario: str
    replication: int
    seed: int
    plant_json: str
    horizon_s: float
    warmup_s: float
    step_s: float


def make_task(
    scenario: str,
    replication: int,
    seed: int,
    plant: Plant,
    horizon_s: float,
    warmup_s: float,
    step_s: float,
) -> Task:
    """A task whose key is a hash of everything that determines its result."""
    plant_json = plant.model_dump_json(by_alias=True)
    ident = json.dumps([FORMAT, plant_json, seed, horizon_s, warmup_s, step_s])
    key = hashlib.blake2b(ident.encode("utf-8"), digest_size=12).hexdigest()
    return Task(key, scenario, replication, seed, plant_json, horizon_s, warmup_s, step_s)


def kpi_values(k: KpiReport) -> dict[str, float]:
    """The plant-level KPIs of one run as a flat mapping."""
    f = k.flow
    out = {
        "throughput_jph": f.throughput_jph,
        "vehicles_completed": float(f.vehicles_completed),
        "good_vehicles": float(f.good_vehicles),
        "design_rate_share": k.design_rate_share,
        "takt_attainment": f.takt_attainment,
        "mean_interdeparture_s": f.mean_interdeparture_s,
        "p95_interdeparture_s": f.p95_interdeparture_s,
        "lead_time_mean_s": f.lead_time_mean_s,
        "lead_time_p95_s": f.lead_time_p95_s,
        "wip_mean": f.wip_mean,
        "oee": k.oee_plant.oee,
        "availability": k.oee_plant.availability,
        "effectiveness": k.oee_plant.effectiveness,
        "quality": k.oee_plant.quality,
        "colour_purges": float(k.colour_purges),
        "overloads": float(k.overloads),
        "bottleneck_share": k.bottleneck.total_share if k.bottleneck else 0.0,
    }
    for a in k.agvs:
        out[f"agv_busy_share.{a.fleet}"] = a.busy_share
        out[f"agv_transport_s.{a.fleet}"] = a.mean_transport_s
    return {name: float(v) for name, v in out.items()}


def summarise(run: Run, kpis: KpiReport, step_s: float) -> dict[str, Any]:
    """The JSON summary of one run: KPIs, station shares, bottlenecks, time series."""
    return {
        "kpis": kpi_values(kpis),
        "stations": {
            s.id: {**{n: s.shares[n] for n in (*SHARE_NAMES, "planned")}, "oee": s.oee.oee}
            for s in kpis.stations
        },
        "bottlenecks": {b.station: [b.sole_share, b.shifting_share] for b in kpis.bottlenecks},
        "throughput": throughput_series(run, step_s).tolist(),
        "wip": wip_series(run, step_s).tolist(),
        "events": run.events,
    }


def run_task(task: Task) -> dict[str, Any]:
    """Run one task and return its summary (the same on every backend)."""
    plant = Plant.model_validate_json(task.plant_json)
    run = run_twin(plant, horizon_s=task.horizon_s, seed=task.seed, warmup_s=task.warmup_s)
    kpis = compute_kpis(run)
    summary = summarise(run, kpis, task.step_s)
    summary.update(
        key=task.key,
        scenario=task.scenario,
        replication=task.replication,
        seed=task.seed,
        horizon_s=task.horizon_s,
        warmup_s=task.warmup_s,
        wall_s=run.wall_s,
    )
    # a JSON round trip here makes fresh and stored results the same objects
    return dict(json.loads(json.dumps(summary)))

