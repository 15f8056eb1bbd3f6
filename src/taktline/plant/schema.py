"""What a plant IS: the typed, validated plant description.

The YAML format is documented field by field in ``docs/plant-format.md``. Every model
forbids unknown fields, so a misspelt key is an error, not a silent default. Rules that
span several parts of the file (ids that must exist, a routing graph that must hold
together) are checked in :mod:`taktline.plant.check` after these models validate.
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
    field_validator,
    model_validator,
)

from taktline.plant.dist import Constant, Dist
from taktline.plant.fleet import Fleet
from taktline.plant.units import Seconds

__all__ = [
    "ROBOT_TYPES",
    "Buffer",
    "Calendar",
    "Colour",
    "Failure",
    "Input",
    "Maintenance",
    "OptionRule",
    "OptionSpec",
    "Output",
    "PartSource",
    "Plant",
    "Point",
    "Products",
    "Quality",
    "Robot",
    "Setup",
    "Shop",
    "Sink",
    "Source",
    "Station",
    "Variant",
    "VehicleSource",
]

Id = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_.-]*$", max_length=64)]

ROBOT_TYPES = (
    "spot_welding",
    "laser_welding",
    "arc_welding",
    "stud_welding",
    "hemming",
    "sealing",
    "gluing",
    "painting",
    "handling",
    "assembly",
    "screwing",
    "inspection",
    "other",
)
RobotType = Literal[
    "spot_welding",
    "laser_welding",
    "arc_welding",
    "stud_welding",
    "hemming",
    "sealing",
    "gluing",
    "painting",
    "handling",
    "assembly",
    "screwing",
    "inspection",
    "other",
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Shop(_Model):
    """A shop: stamping, body, paint, assembly, test, logistics ..."""

    id: Id
    name: str | None = None


class Variant(_Model):
    """A vehicle variant (model, drivetrain ...) with its share of the product mix."""

    id: Id
    model: Id | None = None
    share: float = Field(gt=0)


class Colour(_Model):
    """A paint colour with its share of the mix."""

    id: Id
    share: float = Field(gt=0)


class OptionSpec(_Model):
    """An option a customer can order (sunroof, tow hitch ...) and how often it is taken."""

    id: Id
    take_rate: float = Field(ge=0, le=1)


class Products(_Model):
    """The product catalogue: variants, colours and options with their mix."""

    variants: list[Variant] = Field(min_length=1)
    colours: list[Colour] = Field(min_length=1)
    options: list[OptionSpec] = Field(default_factory=list)


class Robot(_Model):
    """Robots of one type at a station (counted, typed)."""

    type: RobotType
    count: int = Field(ge=1)
    model: str | None = None


class Setup(_Model):
    """A changeover when the family of the next item differs from the last one.

    ``on: colour`` is a paint colour purge, ``on: part`` a die change at a press,
    ``on: variant`` / ``on: model`` a tooling change.
    """

    on: Literal["colour", "variant", "model", "part"]
    time: Dist
    max_batch: int | None = Field(default=None, ge=1)
    """After this many consecutive items of one family the setup runs anyway (paint guns
    are cleaned); also the paint batch limit that order sequencing must respect."""


class Failure(_Model):
    """A failure mode: time to failure and time to repair.

    ``basis: operating`` (default) ages the station only while it works; ``calendar``
    ages it all the time, even when it is starved, blocked or stopped.
    """

    name: Id = "failure"
    ttf: Dist
    ttr: Dist
    basis: Literal["operating", "calendar"] = "operating"


def _ratio(value: Any) -> Any:
    if isinstance(value, str) and "/" in value:
        n, _, p = value.partition("/")
        try:
            return {"max": int(n), "window": int(p)}
        except ValueError:
            raise ValueError(f"ratio must be N/P with whole numbers (got {value!r})") from None
    return value


class OptionRule(_Model):
    """An option station's capacity: at most ``max`` of any ``window`` consecutive
    vehicles may carry ``option``; one more makes the station run ``slowdown`` times
    slower on that vehicle (work overload)."""

    option: Id
    ratio: Annotated[dict[str, int], BeforeValidator(_ratio)]
    priority: Literal["high", "low"] = "high"
    slowdown: float = Field(default=1.25, ge=1.0)

    @field_validator("ratio")
    @classmethod
    def _check_ratio(cls, v: dict[str, int]) -> dict[str, int]:
        if set(v) != {"max", "window"}:
            raise ValueError("ratio must be written N/P, e.g. '1/2'")
        if not 1 <= v["max"] <= v["window"]:
            raise ValueError(f"ratio N/P needs 1 <= N <= P (got {v['max']}/{v['window']})")
        return v

    @property
    def max(self) -> int:
        return self.ratio["max"]

    @property
    def window(self) -> int:
        return self.ratio["window"]


class Quality(_Model):
    """First-pass yield of a test or quality gate; rejects may go to a rework buffer."""

    first_pass_yield: float = Field(gt=0, le=1)
    reject_to: Id | None = None


def _ref(value: Any) -> Any:
    return {"buffer": value} if isinstance(value, str) else value


class Input(_Model):
    """An input of a station: a buffer and how many items it takes from it per cycle."""

    buffer: Id
    qty: int = Field(default=1, ge=1)


class Output(_Model):
    """An output of a station; ``part`` routes only that part there (``route: by_part``)."""

    buffer: Id
    part: Id | None = None


def _cycle_tag(value: Any) -> str:
    if isinstance(value, dict) and "dist" not in value:
        return "per_variant"
    return "single"


CycleSpec = Annotated[
    Annotated[Dist, Tag("single")] | Annotated[dict[Id, Dist], Tag("per_variant")],
    Discriminator(_cycle_tag),
]
"""A cycle time: one for all vehicles, or a mapping from variant (or model) to a time,
with an optional ``default``."""


class Station(_Model):
    """A station: parallel servers (robots or machines) working on one item each."""

    id: Id
    shop: Id
    name: str | None = None
    servers: int = Field(default=1, ge=1)
    robots: list[Robot] = Field(default_factory=list)
    cycle: CycleSpec
    inputs: list[Annotated[Input, BeforeValidator(_ref)]] = Field(default_factory=list)
    outputs: list[Annotated[Output, BeforeValidator(_ref)]] = Field(min_length=1)
    route: Literal["first_free", "round_robin", "shortest", "by_part"] = "first_free"
    produces: Id | None = None
    lot_size: int = Field(default=1, ge=1)
    setup: Setup | None = None
    failures: list[Failure] = Field(default_factory=list)
    option: OptionRule | None = None
    quality: Quality | None = None

    @property
    def robot_count(self) -> int:
        return sum(r.count for r in self.robots)


class Buffer(_Model):
    """A FIFO store of finite capacity; with ``transit`` it is a conveyor.

    ``capacity: null`` is unbounded (queueing models only). ``node`` places the buffer
    on the AGV path network, where AGV moves pick up and drop.
    """

    id: Id
    capacity: int | None = Field(ge=0)
    transit: Seconds = Field(default=0.0, ge=0)
    shop: Id | None = None
    node: Id | None = None
    initial: int = Field(default=0, ge=0)

    @model_validator(mode="after")
    def _initial_fits(self) -> Buffer:
        if self.capacity is not None and self.initial > self.capacity:
            raise ValueError(f"initial must be <= capacity (got {self.initial} > {self.capacity})")
        return self


class VehicleSource(_Model):
    """Releases vehicles into ``to``: as fast as there is room (``saturated``), or one
    every ``interval`` (a fixed or random time)."""

    kind: Literal["vehicles"]
    id: Id
    to: Id
    interval: Dist | None = None
    part: Id = "body"


class PartSource(_Model):
    """A supplier feed of parts into a line-side stock (``to``).

    With ``call_off`` each vehicle that finishes the named station calls off one part,
    delivered ``lead_time`` later (just in sequence); with ``interval`` parts arrive on
    a clock; with neither the supply never runs dry (raw material).
    """

    kind: Literal["parts"]
    id: Id
    part: Id
    to: Id
    lead_time: Dist = Field(default_factory=lambda: Constant(value=0.0))
    call_off: Id | None = None
    interval: Dist | None = None

    @model_validator(mode="after")
    def _one_mode(self) -> PartSource:
        if self.call_off is not None and self.interval is not None:
            raise ValueError("give call_off or interval, not both")
        return self


Source = Annotated[
    Annotated[VehicleSource, Tag("vehicles")] | Annotated[PartSource, Tag("parts")],
    Discriminator(lambda v: v.get("kind") if isinstance(v, dict) else getattr(v, "kind", None)),
]


class Sink(_Model):
    """Where items leave the plant: dispatch of finished vehicles, or scrap."""

    id: Id
    from_: Id = Field(alias="from")
    kind: Literal["dispatch", "scrap"] = "dispatch"


class Maintenance(_Model):
    """A planned downtime window: from ``start`` for ``duration``, repeated ``every``.

    Without ``stations`` and ``shops`` it applies to the whole plant.
    """

    name: str = "maintenance"
    start: Seconds = Field(ge=0)
    duration: Seconds = Field(gt=0)
    every: Seconds | None = Field(default=None, gt=0)
    stations: list[Id] | None = None
    shops: list[Id] | None = None

    @model_validator(mode="after")
    def _fits(self) -> Maintenance:
        if self.every is not None and self.duration >= self.every:
            raise ValueError("duration must be shorter than every")
        return self


class Calendar(_Model):
    """The shift calendar: 24/7 unless planned downtime windows are given."""

    maintenance: list[Maintenance] = Field(default_factory=list)


class Point(_Model):
    """A position on the plant map, in metres."""

    x: float
    y: float


class Plant(_Model):
    """A whole plant: the root of a plant file."""

    name: str
    description: str | None = None
    takt: Seconds = Field(gt=0)
    shops: list[Shop] = Field(min_length=1)
    products: Products
    sources: list[Source] = Field(min_length=1)
    buffers: list[Buffer] = Field(default_factory=list)
    stations: list[Station] = Field(min_length=1)
    sinks: list[Sink] = Field(min_length=1)
    fleets: list[Fleet] = Field(default_factory=list)
    calendar: Calendar = Field(default_factory=Calendar)
    layout: dict[Id, Point] = Field(default_factory=dict)

    @property
    def robot_count(self) -> int:
        return sum(s.robot_count for s in self.stations)

    def robots_by_type(self) -> dict[str, int]:
        """Robot counts per type, largest first."""
        out: dict[str, int] = {}
        for s in self.stations:
            for r in s.robots:
                out[r.type] = out.get(r.type, 0) + r.count
        return dict(sorted(out.items(), key=lambda kv: (-kv[1], kv[0])))

    def station(self, sid: str) -> Station:
        for s in self.stations:
            if s.id == sid:
                return s
        raise KeyError(sid)

    def buffer(self, bid: str) -> Buffer:
        for b in self.buffers:
            if b.id == bid:
                return b
        raise KeyError(bid)
