"""Random (or fixed) durations as written in a plant file.

A duration field takes either a fixed value (``110``, ``"5min"``) or a mapping with a
``dist`` key naming the distribution::

    cycle: 110
    ttf: {dist: exponential, mean: 8h}
    cycle: {dist: normal, mean: 110, sd: 4, min: 100}
    ttr: {dist: lognormal, mean: 5min, sd: 3min}
    cycle: {dist: triangular, low: 100, mode: 110, high: 130}
    ttf: {dist: geometric, p: 0.01, step: 110}     # whole steps, Gershwin's model

Every distribution knows its mean, which the KPIs use as the planned runtime per item.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    model_validator,
)

from taktline.plant.units import Seconds, parse_duration

__all__ = [
    "Constant",
    "Dist",
    "Empirical",
    "Erlang",
    "Exponential",
    "Gamma",
    "Geometric",
    "LogNormal",
    "Normal",
    "Triangular",
    "Uniform",
    "Weibull",
    "as_dist",
]


class _Dist(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @property
    def mean_value(self) -> float:  # pragma: no cover - every subclass overrides
        raise NotImplementedError


class Constant(_Dist):
    """Always the same value."""

    dist: Literal["constant"] = "constant"
    value: Seconds = Field(ge=0)

    @property
    def mean_value(self) -> float:
        return self.value


class Exponential(_Dist):
    """Exponential with the given mean (memoryless: Poisson arrivals, random failures)."""

    dist: Literal["exponential"]
    mean: Seconds = Field(gt=0)

    @property
    def mean_value(self) -> float:
        return self.mean


class Normal(_Dist):
    """Normal, truncated to ``[min, max]`` by redrawing (``min`` defaults to 0)."""

    dist: Literal["normal"]
    mean: Seconds = Field(ge=0)
    sd: Seconds = Field(ge=0)
    min: Seconds = Field(default=0.0, ge=0)
    max: Seconds | None = None

    @model_validator(mode="after")
    def _bounds(self) -> Normal:
        if self.max is not None and self.max < self.min:
            raise ValueError(f"max must be >= min (got max {self.max}, min {self.min})")
        if not self.min <= self.mean <= (self.max if self.max is not None else math.inf):
            raise ValueError(f"mean must lie within [min, max] (got {self.mean})")
        return self

    @property
    def mean_value(self) -> float:
        return self.mean


class LogNormal(_Dist):
    """Log-normal given by the mean and standard deviation of the value itself."""

    dist: Literal["lognormal"]
    mean: Seconds = Field(gt=0)
    sd: Seconds = Field(ge=0)

    @property
    def mean_value(self) -> float:
        return self.mean

    def log_params(self) -> tuple[float, float]:
        """(mu, sigma) of the underlying normal."""
        sigma2 = math.log(1.0 + (self.sd / self.mean) ** 2)
        return math.log(self.mean) - sigma2 / 2.0, math.sqrt(sigma2)


class Uniform(_Dist):
    """Uniform on ``[low, high]``."""

    dist: Literal["uniform"]
    low: Seconds = Field(ge=0)
    high: Seconds = Field(ge=0)

    @model_validator(mode="after")
    def _order(self) -> Uniform:
        if self.high < self.low:
            raise ValueError(f"high must be >= low (got low {self.low}, high {self.high})")
        return self

    @property
    def mean_value(self) -> float:
        return (self.low + self.high) / 2.0


class Triangular(_Dist):
    """Triangular with ``low <= mode <= high`` (a common way to state expert estimates)."""

    dist: Literal["triangular"]
    low: Seconds = Field(ge=0)
    mode: Seconds = Field(ge=0)
    high: Seconds = Field(ge=0)

    @model_validator(mode="after")
    def _order(self) -> Triangular:
        if not self.low <= self.mode <= self.high or self.low == self.high:
            raise ValueError("needs low <= mode <= high and low < high")
        return self

    @property
    def mean_value(self) -> float:
        return (self.low + self.mode + self.high) / 3.0


class Weibull(_Dist):
    """Weibull with ``shape`` k and ``scale`` lambda (wear-out failures for k > 1)."""

    dist: Literal["weibull"]
    shape: float = Field(gt=0)
    scale: Seconds = Field(gt=0)

    @property
    def mean_value(self) -> float:
        return self.scale * math.gamma(1.0 + 1.0 / self.shape)


class Gamma(_Dist):
    """Gamma with ``shape`` k and ``scale`` theta."""

    dist: Literal["gamma"]
    shape: float = Field(gt=0)
    scale: Seconds = Field(gt=0)

    @property
    def mean_value(self) -> float:
        return self.shape * self.scale


class Erlang(_Dist):
    """Erlang-k with the given mean (sum of k exponential phases)."""

    dist: Literal["erlang"]
    k: int = Field(ge=1)
    mean: Seconds = Field(gt=0)

    @property
    def mean_value(self) -> float:
        return self.mean


class Geometric(_Dist):
    """Whole steps: ``step`` times a geometric count on {1, 2, ...} with success ``p``
    (failures and repairs of Gershwin's slotted line: a slot fails with probability p)."""

    dist: Literal["geometric"]
    p: float = Field(gt=0, le=1)
    step: Seconds = Field(gt=0)

    @property
    def mean_value(self) -> float:
        return self.step / self.p


class Empirical(_Dist):
    """Drawn uniformly from the listed observations (e.g. measured repair times)."""

    dist: Literal["empirical"]
    values: list[Seconds] = Field(min_length=1)

    @property
    def mean_value(self) -> float:
        return sum(self.values) / len(self.values)


def _tag(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("dist", "missing-dist"))
    if isinstance(value, BaseModel):
        return str(getattr(value, "dist", "constant"))
    return "constant"


def as_dist(value: Any) -> Any:
    """Turn a plain number or duration string into ``{dist: constant, value: ...}``."""
    if isinstance(value, int | float | str) and not isinstance(value, bool):
        return {"dist": "constant", "value": parse_duration(value)}
    return value


Dist = Annotated[
    Annotated[Constant, Tag("constant")]
    | Annotated[Exponential, Tag("exponential")]
    | Annotated[Normal, Tag("normal")]
    | Annotated[LogNormal, Tag("lognormal")]
    | Annotated[Uniform, Tag("uniform")]
    | Annotated[Triangular, Tag("triangular")]
    | Annotated[Weibull, Tag("weibull")]
    | Annotated[Gamma, Tag("gamma")]
    | Annotated[Erlang, Tag("erlang")]
    | Annotated[Geometric, Tag("geometric")]
    | Annotated[Empirical, Tag("empirical")],
    Discriminator(_tag),
    BeforeValidator(as_dist),
]
"""Any distribution; fields of this type also accept a plain number or duration."""
