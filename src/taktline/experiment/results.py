"""The results of an experiment: tidy tables, statistics per scenario, comparisons.

The tidy table has one row per scenario x replication x KPI (columns ``scenario``,
``replication``, ``seed``, ``kpi``, ``value`` and one column per factor with its level
in that scenario); it is written as Parquet and CSV. Station shares and bottleneck
shares go to a second table of the same shape (``station``, ``measure``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from taktline.analysis.stats import Comparison, Interval, Truncation, compare_to_base, mean_ci
from taktline.experiment.design import Experiment
from taktline.experiment.tasks import higher_is_better, kpi_of

__all__ = ["ExperimentResult", "WarmupInfo"]


@dataclass(frozen=True)
class WarmupInfo:
    """The warm-up every run used, and how it was found."""

    seconds: float
    method: str  # "fixed" or "mser5"
    truncation: Truncation | None = None
    series: tuple[float, ...] = ()
    series_name: str = ""


@dataclass(frozen=True)
class ExperimentResult:
    """Every replication's summary, in scenario order, with the warm-up used."""

    experiment: Experiment
    runs: list[dict[str, Any]]
    warmup: WarmupInfo
    ran: int = 0
    reused: int = 0
    wall_s: float = 0.0
    backend: str = ""

    @property
    def scenario_names(self) -> list[str]:
        return [s.name for s in self.experiment.scenarios]

    @property
    def kpi_names(self) -> list[str]:
        return list(self.runs[0]["kpis"]) if self.runs else []

    def values(self, kpi: str) -> dict[str, list[float]]:
        """``kpi`` per scenario, replication by replication (in replication order)."""
        out: dict[str, list[tuple[int, float]]] = {s: [] for s in self.scenario_names}
        for r in self.runs:
            out[r["scenario"]].append((r["replication"], kpi_of(r, kpi)))
        return {s: [v for _, v in sorted(pairs)] for s, pairs in out.items()}

    def interval(self, scenario: str, kpi: str) -> Interval:
        """Mean and 95 % confidence half-width of ``kpi`` in ``scenario``."""
        return mean_ci(self.values(kpi)[scenario])

    def comparisons(self, kpi: str) -> list[Comparison]:
        """Every scenario against the base (paired), ranked best first."""
        return compare_to_base(self.values(kpi), self.experiment.base,
                               higher_is_better=higher_is_better(kpi))

    def table(self) -> pd.DataFrame:
        """The tidy table: one row per scenario x replication x KPI, factor levels as columns."""
        levels = {s.name: s.levels for s in self.experiment.scenarios}
        factors = list(self.experiment.steps)
        rows = [
            {"scenario": r["scenario"], "replication": r["replication"], "seed": r["seed"],
             **{f: levels[r["scenario"]][f] for f in factors}, "kpi": k, "value": float(v)}
            for r in self.runs
            for k, v in r["kpis"].items()
        ]
        return pd.DataFrame(rows)

    def station_table(self) -> pd.DataFrame:
        """Station state shares, OEE and bottleneck shares: one row per scenario x
        replication x station x measure."""
        rows = []
        for r in self.runs:
            head = {"scenario": r["scenario"], "replication": r["replication"]}
            for sid, shares in r["stations"].items():
                sole, shifting = r["bottlenecks"].get(sid, [0.0, 0.0])
                measures = {**shares, "bottleneck_sole": sole, "bottleneck_shifting": shifting}
                rows += [{**head, "station": sid, "measure": m, "value": float(v)}
                         for m, v in measures.items()]
        return pd.DataFrame(rows)

    def summary(self) -> pd.DataFrame:
        """Per scenario and KPI: mean, 95 % half-width, bounds and replications."""
        rows = []
        for kpi in self.kpi_names:
            for s, vals in self.values(kpi).items():
                ci = mean_ci(vals)
                rows.append({"scenario": s, "kpi": kpi, "mean": ci.mean,
                             "half_width": ci.half_width, "low": ci.low, "high": ci.high,
                             "n": ci.n})
        return pd.DataFrame(rows)

    def comparison_table(self, kpis: list[str] | None = None) -> pd.DataFrame:
        """Per KPI the ranking of scenarios with their paired difference to the base."""
        rows = []
        for kpi in kpis or list(self.experiment.spec.kpis):
            for c in self.comparisons(kpi):
                rows.append({
                    "kpi": kpi, "rank": c.rank, "scenario": c.scenario,
                    "mean": c.estimate.mean, "half_width": c.estimate.half_width,
                    "diff_vs_base": c.difference.mean, "diff_half_width": c.difference.half_width,
                    "diff_level": c.difference.level, "verdict": c.verdict,
                    "worse_than_best": c.worse_than_best,
                })
        return pd.DataFrame(rows)

    def mean_series(self, scenario: str, name: str = "throughput") -> np.ndarray:
        """The mean over replications of a scenario's time series, step by step."""
        series = [r[name] for r in self.runs if r["scenario"] == scenario]
        return np.mean(series, axis=0) if series else np.array([])

    def mean_station_shares(self, scenario: str) -> dict[str, dict[str, float]]:
        """Station state shares of a scenario, averaged over its replications."""
        runs = [r for r in self.runs if r["scenario"] == scenario]
        return {
            sid: {m: float(np.mean([r["stations"][sid][m] for r in runs])) for m in shares}
            for sid, shares in runs[0]["stations"].items()
        } if runs else {}

    def mean_bottlenecks(self, scenario: str) -> list[tuple[str, float, float]]:
        """(station, sole share, shifting share) averaged over a scenario's replications."""
        runs = [r for r in self.runs if r["scenario"] == scenario]
        stations = list(runs[0]["stations"]) if runs else []
        return [
            (sid,
             float(np.mean([r["bottlenecks"].get(sid, [0.0, 0.0])[0] for r in runs])),
             float(np.mean([r["bottlenecks"].get(sid, [0.0, 0.0])[1] for r in runs])))
            for sid in stations
        ]

    def metadata(self) -> dict[str, Any]:
        """What was run: for ``experiment.json`` beside the tables."""
        exp = self.experiment
        w = self.warmup
        return {
            "name": exp.name, "file": exp.file, "plant": exp.base_plant.name,
            "base": exp.base, "replications": exp.spec.replications,
            "seeds": [exp.spec.seed_of(k) for k in range(1, exp.spec.replications + 1)],
            "length_s": exp.spec.run.length, "warmup_s": w.seconds, "warmup_method": w.method,
            "mser_batches": w.truncation.batches if w.truncation else None,
            "scenarios": [{"name": s.name, "values": s.values, "levels": s.levels}
                          for s in exp.scenarios],
            "backend": self.backend, "ran": self.ran, "reused": self.reused,
        }

    def write(self, out: str | Path, report: bool = True) -> dict[str, Path]:
        """Write the tables (Parquet and CSV), summary, comparisons and the HTML report."""
        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        paths: dict[str, Path] = {}
        for name, frame in (("results", self.table()), ("stations", self.station_table())):
            paths[f"{name}.parquet"] = folder / f"{name}.parquet"
            frame.to_parquet(paths[f"{name}.parquet"], index=False)
            paths[f"{name}.csv"] = folder / f"{name}.csv"
            frame.to_csv(paths[f"{name}.csv"], index=False)
        paths["summary.csv"] = folder / "summary.csv"
        self.summary().to_csv(paths["summary.csv"], index=False)
        paths["comparisons.csv"] = folder / "comparisons.csv"
        self.comparison_table().to_csv(paths["comparisons.csv"], index=False)
        paths["experiment.json"] = folder / "experiment.json"
        paths["experiment.json"].write_text(
            json.dumps(self.metadata(), indent=2, default=str) + "\n", encoding="utf-8")
        if report:
            from taktline.experiment.report import write_experiment_report

            paths["report.html"] = write_experiment_report(self, folder / "report.html")
        return paths
