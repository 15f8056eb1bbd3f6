"""AGV fleets: the path network, the vehicles and the moves they serve."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from taktline.plant.dist import Constant, Dist

__all__ = ["Edge", "Fleet", "Move", "Network", "Node"]

Id = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_.-]*$", max_length=64)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Node(_Model):
    """A point of the path network (metres)."""

    id: Id
    x: float
    y: float
    charger: bool = False


class Edge(_Model):
    """A path segment; ``length`` defaults to the straight distance between its nodes."""

    from_: Id = Field(alias="from")
    to: Id
    length: float | None = Field(default=None, gt=0)
    two_way: bool = True


class Network(_Model):
    """The AGV path network: nodes and edges."""

    nodes: list[Node] = Field(min_length=1)
    edges: list[Edge] = Field(default_factory=list)


class Move(_Model):
    """A transport the fleet serves: every item in buffer ``from`` goes to buffer ``to``.

    Both buffers must sit on a node of the network (their ``node`` field).
    """

    from_: Id = Field(alias="from")
    to: Id


class Fleet(_Model):
    """A fleet of AGVs: how many, how fast, how long loading takes, where they go."""

    id: Id
    size: int = Field(ge=1)
    speed: float = Field(gt=0, description="metres per second")
    load: Dist = Field(default_factory=lambda: Constant(value=0.0))
    unload: Dist = Field(default_factory=lambda: Constant(value=0.0))
    home: Id
    dispatch: Literal["nearest_idle"] = "nearest_idle"
    routing: Literal["free", "reserved"] = Field(
        default="free",
        description="free: an AGV travels its shortest path and never waits for another "
        "(the fleet's size limits the flow, the paths do not); reserved: every task is "
        "planned as a chain of node and edge reservations in time (plan/dispatch.py, "
        "docs/fleet.md), so no two AGVs share a node or meet on an edge - runs on the "
        "reference engine",
    )
    gap_s: float = Field(
        default=5.0, gt=0,
        description="reserved routing: the least time between two AGVs entering one "
        "edge in the same direction",
    )
    network: Network
    moves: list[Move] = Field(min_length=1)
