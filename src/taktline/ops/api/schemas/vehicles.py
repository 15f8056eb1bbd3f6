"""Vehicles: where each one is and what was done to it (genealogy)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from taktline.ops.api.schemas.common import Page

__all__ = ["EventPublic", "PartPublic", "StepPublic", "VehicleDetailPublic",
           "VehiclePublic", "VehiclesPublic"]


class VehiclePublic(BaseModel):
    vin: str
    order_id: str
    variant: str
    colour: str
    options: list[str]
    state: str = Field(description="released (waiting at the line entry), in_process, "
                       "completed (dispatched)")
    location: str | None = Field(None, description="station it is at, or 'after <station>'")
    released_t: float = Field(description="plant seconds: released to the line")
    entered_t: float | None = Field(None, description="plant seconds: entered the line")
    completed_t: float | None = Field(None, description="plant seconds: dispatched")
    eol_result: str | None = Field(None, description="end-of-line quality gate: pass / fail")
    first_pass: bool | None = Field(None, description="passed every check the first time")
    released_at: datetime
    completed_at: datetime | None = None


class VehiclesPublic(Page[VehiclePublic]):
    pass


class StepPublic(BaseModel):
    station: str
    started_t: float
    finished_t: float | None
    good: bool | None = Field(None, description="passed the station's own check")
    robots: list[str] = Field(description="the robots that worked on it")
    interrupted: bool = Field(False, description="cut short by a restart; redone after it")


class PartPublic(BaseModel):
    station: str
    part: str
    serial: str
    lot: str | None = Field(None, description="press lot of a stamped panel")
    t: float


class EventPublic(BaseModel):
    id: int
    t: float = Field(description="plant seconds")
    at: datetime = Field(description="when the MES logged it (UTC)")
    kind: str
    station: str | None
    vin: str | None
    data: dict[str, Any]


class VehicleDetailPublic(VehiclePublic):
    history: list[StepPublic]
    parts: list[PartPublic]
    events: list[EventPublic] = Field(description="the vehicle's events, oldest first "
                                      "(at most 200)")
