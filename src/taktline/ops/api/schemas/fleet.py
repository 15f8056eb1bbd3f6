"""Response bodies of ``GET /api/v1/fleet`` (the AGV fleets and their vehicles)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

__all__ = ["AgvPublic", "FleetEdge", "FleetList", "FleetNetwork", "FleetNode", "FleetPublic"]


class FleetNode(BaseModel):
    id: str
    x: float
    y: float
    charger: bool


class FleetEdge(BaseModel):
    from_: str = Field(alias="from", serialization_alias="from")
    to: str
    length: float
    two_way: bool


class FleetNetwork(BaseModel):
    nodes: list[FleetNode]
    edges: list[FleetEdge]


class AgvPublic(BaseModel):
    """One AGV as the fleet manager knows it (the data of an ``agv`` event, plus ``t``)."""

    fleet: str
    agv: str = Field(description="VDA 5050 serial number")
    state: Literal["idle", "driving", "loading", "unloading", "charging", "paused", "error",
                   "offline"]
    node: str = Field(description="last node reached")
    next: str | None = Field(description="next node of its order")
    x: float
    y: float
    eta_t: float | None = Field(description="plant time of arrival at next")
    battery: float | None = Field(description="percent")
    order: str | None = Field(description="VDA 5050 orderId")
    t: float = Field(description="plant time of this picture")


class FleetPublic(BaseModel):
    id: str
    network: FleetNetwork
    agvs: list[AgvPublic]


class FleetList(BaseModel):
    fleets: list[FleetPublic]
