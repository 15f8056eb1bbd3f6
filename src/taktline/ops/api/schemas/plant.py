"""Stations, andon, audit, KPIs, plant structure, the twin: the plant's side of the API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from taktline.ops.api.schemas.common import Page, Strict

__all__ = ["AndonPublic", "AndonsPublic", "AuditPublic", "AuditsPublic", "CommandCreate",
           "CommandPublic", "KpiPublic", "OeePublic", "PlantPublic", "StationPublic",
           "StationsPublic", "TwinPublic", "TwinUpdate"]


class StationPublic(BaseModel):
    id: str
    name: str | None
    shop: str
    servers: int
    state: str = Field(description="working, blocked, starved, failed, setup, planned, stopped")
    since_t: float
    held: bool = Field(description="held by a stop command (an admin's or a policy's)")
    degraded: bool = Field(description="running degraded: a robot is out, others stand in")
    finished: int = Field(description="operations finished (all time)")
    vins: list[str] = Field(description="vehicles on its servers now")
    robots: list[str]
    option: str | None = None


class StationsPublic(BaseModel):
    items: list[StationPublic]
    count: int


class AndonPublic(BaseModel):
    id: int
    station: str
    cause: str
    planned: bool
    start_t: float
    end_t: float | None
    duration_s: float | None
    start_at: datetime
    end_at: datetime | None
    action: str | None = Field(None, description="what the MES did: degraded, ...")
    note: str | None = None


class AndonsPublic(Page[AndonPublic]):
    pass


class AuditPublic(BaseModel):
    id: int
    at: datetime
    t: float
    actor: str = Field(description="'mes' for the MES's own decisions, else the token role")
    action: str
    subject: str
    reason: str
    data: dict[str, Any]


class AuditsPublic(Page[AuditPublic]):
    pass


class OeePublic(BaseModel):
    oee: float
    availability: float
    effectiveness: float
    quality: float


class KpiPublic(BaseModel):
    window_start_t: float
    window_end_t: float
    vehicles_completed: int
    good_vehicles: int
    throughput_jph: float
    takt_s: float
    takt_attainment: float
    lead_time_mean_s: float
    wip_mean: float
    oee_plant: OeePublic
    oee_shops: dict[str, OeePublic]
    bottleneck: str | None
    report: dict[str, Any] = Field(description="everything compute_kpis reports (as the "
                                   "JSON of taktline simulate --json)")


class PlantPublic(BaseModel):
    name: str
    takt_s: float
    shops: list[dict[str, Any]]
    stations: list[dict[str, Any]]
    buffers: list[dict[str, Any]]
    products: dict[str, Any]
    fleets: list[dict[str, Any]]


class CommandCreate(Strict):
    action: Literal["stop", "start", "reset"]


class CommandPublic(BaseModel):
    station: str
    action: str
    state: str


class TwinPublic(BaseModel):
    speed: float = Field(description="plant seconds per wall second (0: paused)")
    plant_time_s: float
    queued: int = Field(description="vehicles released to the line, not yet in it")
    wip_cap: int
    release_held: bool


class TwinUpdate(Strict):
    speed: float = Field(ge=0.0, le=10_000.0)
