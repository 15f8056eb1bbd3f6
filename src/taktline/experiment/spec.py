"""The scenario file format: pydantic models, unknown fields refused.

Documented field by field in ``docs/experiments.md``. A scenario file names a base
plant, the factors (plant fields by path), a design that turns factor levels into
scenarios, the replications, the run length and warm-up, the seeds, and optionally an
objective, constraints and search settings for ``taktline optimize``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    model_validator,
)

from taktline.plant.units import Seconds

__all__ = [
    "DEFAULT_KPIS",
    "Constraint",
    "Design",
    "Factor",
    "FactorialDesign",
    "LhsDesign",
    "ListDesign",
    "Mser5",
    "Objective",
    "OptimizeSpec",
    "RunLength",
    "ScenarioFile",
    "ScenarioPoint",
    "SeedSpec",
]

Id = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_.-]*$", max_length=64)]

DEFAULT_KPIS = ["throughput_jph", "takt_attainment", "lead_time_mean_s", "wip_mean", "oee"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Factor(_Model):
    """A plant field to vary: its path (or several paths that take the same value) and
    its levels (``values``) or range (``low``/``high``)."""

    path: Annotated[str, Field(min_length=1)] | Annotated[list[str], Field(min_length=1)]
    values: list[Any] | None = Field(default=None, min_length=1)
    low: Seconds | None = None
    high: Seconds | None = None
    integer: bool = False

    @model_validator(mode="after")
    def _levels_or_range(self) -> Factor:
        if self.values is None and (self.low is None or self.high is None):
            raise ValueError("give values (a list of levels) or a range (low and high)")
        if (self.low is None) != (self.high is None):
            raise ValueError("give both low and high")
        if self.low is not None and self.high is not None and not self.low < self.high:
            raise ValueError(f"low must be < high (got {self.low:g} and {self.high:g})")
        return self


class ScenarioPoint(_Model):
    """One scenario of a ``list`` design: a name and the factor values it sets."""

    name: Id
    values: dict[str, Any] = Field(default_factory=dict)


class ListDesign(_Model):
    """The scenarios written out one by one."""

    kind: Literal["list"]
    scenarios: list[ScenarioPoint] = Field(min_length=1)


class FactorialDesign(_Model):
    """Every combination of every factor's ``values``."""

    kind: Literal["full_factorial"] = "full_factorial"


class LhsDesign(_Model):
    """A Latin hypercube of ``samples`` points over the factors' ranges (or levels)."""

    kind: Literal["latin_hypercube"]
    samples: int = Field(ge=2)
    seed: int = Field(default=0, ge=0)


def _design_tag(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("kind", "full_factorial"))
    return str(getattr(value, "kind", "full_factorial"))


def _design_shorthand(value: Any) -> Any:
    return {"kind": value} if isinstance(value, str) else value


Design = Annotated[
    Annotated[ListDesign, Tag("list")]
    | Annotated[FactorialDesign, Tag("full_factorial")]
    | Annotated[LhsDesign, Tag("latin_hypercube")],
    Discriminator(_design_tag),
    BeforeValidator(_design_shorthand),
]


class Mser5(_Model):
    """Warm-up detected by MSER-5 on pilot runs of the base scenario."""

    method: Literal["mser5"]
    pilot_replications: int = Field(default=3, ge=1)
    series: Literal["throughput", "wip"] = "throughput"


def _warmup_tag(value: Any) -> str:
    return "mser5" if isinstance(value, dict | Mser5) else "fixed"


def _warmup_shorthand(value: Any) -> Any:
    return {"method": "mser5"} if value == "mser5" else value


Warmup = Annotated[
    Annotated[Seconds, Field(ge=0), Tag("fixed")] | Annotated[Mser5, Tag("mser5")],
    Discriminator(_warmup_tag),
    BeforeValidator(_warmup_shorthand),
]


class RunLength(_Model):
    """Measured length of every run, its warm-up, and the step of the time series."""

    length: Seconds = Field(gt=0)
    warmup: Warmup = 0.0
    step: Seconds = Field(default=3600.0, gt=0)


class SeedSpec(_Model):
    """Replication k (1, 2, ...) uses seed ``base + k - 1`` in every scenario."""

    base: int = Field(default=1, ge=0)


class Objective(_Model):
    """The KPI ``optimize`` searches for; the direction defaults to the KPI's own."""

    kpi: str = "throughput_jph"
    direction: Literal["maximize", "minimize"] | None = None


class Constraint(_Model):
    """A linear constraint on factors: ``min <= sum of the named factors <= max``."""

    name: str | None = None
    sum: list[str] = Field(min_length=1)
    max: float | None = None
    min: float | None = None

    @model_validator(mode="after")
    def _a_bound(self) -> Constraint:
        if self.max is None and self.min is None:
            raise ValueError("give max, min or both")
        return self

    def holds(self, total: float) -> bool:
        return (self.max is None or total <= self.max + 1e-9) and (
            self.min is None or total >= self.min - 1e-9
        )


class OptimizeSpec(_Model):
    """Settings of ``taktline optimize``."""

    budget: int = Field(default=20, ge=1)
    seed: int = Field(default=0, ge=0)
    batch: int | None = Field(default=None, ge=1)
    confirm_replications: int | None = Field(default=None, ge=2)


class ScenarioFile(_Model):
    """The root of a scenario file."""

    name: str
    description: str | None = None
    plant: str = Field(min_length=1)
    factors: dict[Id, Factor] = Field(default_factory=dict)
    design: Design = Field(default_factory=FactorialDesign)
    base: Id | None = None
    replications: int = Field(default=5, ge=2)
    run: RunLength
    seeds: SeedSpec | list[int] = Field(default_factory=SeedSpec)
    kpis: list[str] = Field(default_factory=lambda: list(DEFAULT_KPIS), min_length=1)
    objective: Objective = Field(default_factory=Objective)
    constraints: list[Constraint] = Field(default_factory=list)
    optimize: OptimizeSpec = Field(default_factory=OptimizeSpec)

    def seed_of(self, replication: int) -> int:
        """The seed of replication ``replication`` (1-based), the same in every scenario."""
        if isinstance(self.seeds, list):
            extra = replication - len(self.seeds)
            return self.seeds[replication - 1] if extra <= 0 else self.seeds[-1] + extra
        return self.seeds.base + replication - 1
