"""Capacity planning: how many plants like this one it takes to build N vehicles a year.

The twin simulates ``days`` measured days per replication (after a warm-up), several
replications with their own seeds; the mean throughput (vehicles per hour) with its
95 % confidence interval is **scaled** to a year of ``hours_per_year`` operating hours
(8,760 for a plant running around the clock): yearly output = JPH x hours. This
assumes the steady state of the simulated days holds all year (no ramp-up, no
holidays, no seasonal mix) - state it with the answer. Plants needed =
ceil(target / yearly output), with a range from the interval's ends.

A capacity file (``examples/chongqing.yaml``) holds published production figures and
targets with their sources; ``taktline capacity --file FILE`` answers each one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path as FsPath
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from taktline.analysis.stats import Interval
from taktline.errors import ScenarioError
from taktline.experiment.design import Experiment, Scenario
from taktline.experiment.runner import Progress, run_experiment
from taktline.experiment.spec import RunLength, ScenarioFile, SeedSpec
from taktline.plant.check import Problem
from taktline.plant.load import load_plant, raise_problems, validation_problems
from taktline.plant.schema import Plant
from taktline.plant.units import Seconds
from taktline.plant.yamlpos import YamlSyntaxError, parse_yaml

__all__ = [
    "CapacityFile",
    "CapacityPlan",
    "CapacitySettings",
    "PlantsNeeded",
    "ProductionFigure",
    "load_capacity_file",
    "plan_capacity",
]

Id = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_.-]*$", max_length=64)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CapacitySettings(_Model):
    """How the yearly output of one plant is estimated."""

    days: float = Field(default=7.0, gt=0)
    replications: int = Field(default=5, ge=2)
    warmup: Seconds = Field(default=8 * 3600.0, ge=0)
    hours_per_year: float = Field(default=8760.0, gt=0, le=8784)
    seed: int = Field(default=1, ge=0)


class ProductionFigure(_Model):
    """A published output or target: vehicles a year, what they are, where it is from."""

    id: Id
    units: int = Field(gt=0)
    year: int | None = None
    kind: str = "target"
    what: str
    source: str


class CapacityFile(_Model):
    """The root of a capacity file."""

    name: str
    description: str | None = None
    plant: str = "default"
    run: CapacitySettings = Field(default_factory=CapacitySettings)
    figures: list[ProductionFigure] = Field(min_length=1)
    sources: dict[Id, str] = Field(default_factory=dict)


@dataclass(frozen=True)
class PlantsNeeded:
    """Plants needed for ``target`` vehicles a year: the estimate and its range."""

    target: int
    estimate: int
    low: int
    high: int | None  # None when the interval reaches zero output


@dataclass(frozen=True)
class CapacityPlan:
    """One plant's simulated yearly output with its 95 % confidence interval."""

    plant: str
    jph: Interval
    hours_per_year: float
    days: float
    replications: int
    warmup_s: float

    @property
    def yearly(self) -> Interval:
        """Vehicles a year: the JPH interval scaled by the operating hours."""
        h = self.hours_per_year
        return Interval(self.jph.mean * h, self.jph.half_width * h, self.jph.n, self.jph.level)

    def plants_for(self, target: int) -> PlantsNeeded:
        """How many plants like this one build ``target`` vehicles a year."""
        y = self.yearly
        return PlantsNeeded(
            target=target,
            estimate=math.ceil(target / y.mean) if y.mean > 0 else 0,
            low=math.ceil(target / y.high) if y.high > 0 else 0,
            high=math.ceil(target / y.low) if y.low > 0 else None,
        )


def plan_capacity(
    plant: Plant | str | FsPath | None = None,
    *,
    settings: CapacitySettings | None = None,
    workers: int | None = None,
    dask: str | None = None,
    progress: Progress | None = None,
) -> CapacityPlan:
    """Simulate ``plant`` (default: the reference plant) and estimate its yearly output."""
    s = settings or CapacitySettings()
    p = plant if isinstance(plant, Plant) else load_plant(plant)
    spec = ScenarioFile(
        name=f"capacity of {p.name}", plant=p.name, replications=s.replications,
        run=RunLength(length=s.days * 86400.0, warmup=s.warmup), seeds=SeedSpec(base=s.seed),
        kpis=["throughput_jph"],
    )
    exp = Experiment(spec, "<capacity>", p, [Scenario("base", {}, p, {})], "base", {})
    result = run_experiment(exp, workers=workers, dask=dask, progress=progress)
    return CapacityPlan(
        plant=p.name, jph=result.interval("base", "throughput_jph"),
        hours_per_year=s.hours_per_year, days=s.days, replications=s.replications,
        warmup_s=s.warmup,
    )


def load_capacity_file(path: str | FsPath) -> tuple[CapacityFile, FsPath | str]:
    """A validated capacity file, and its plant (a path relative to the file, or a
    bundled plant's name)."""
    p = FsPath(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"cannot read: {exc}", file=str(path)) from None
    try:
        doc = parse_yaml(text)
    except YamlSyntaxError as exc:
        raise ScenarioError(str(exc), file=str(path), line=exc.line) from exc
    try:
        spec = CapacityFile.model_validate(doc.data)
    except ValidationError as exc:
        problems = [
            Problem(pr.path, pr.rule.replace("the plant format", "the capacity file format"))
            for pr in validation_problems(exc, doc)
        ]
        raise_problems(problems, doc, str(path), exc, error=ScenarioError)
    missing = [
        Problem(("figures", i, "source"),
                f"no source {f.source!r} in sources ({', '.join(spec.sources) or 'none given'})")
        for i, f in enumerate(spec.figures) if f.source not in spec.sources
    ]
    if missing:
        raise_problems(missing, doc, str(path), None, keep_order=True, error=ScenarioError)
    local = p.parent / spec.plant
    return spec, local if local.is_file() else spec.plant
