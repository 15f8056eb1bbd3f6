"""Liveness: is the service running (no token needed; says nothing about the plant)."""

from __future__ import annotations

from fastapi import APIRouter, Response, status
from pydantic import BaseModel

from taktline.ops.api.deps import MesDep, Viewer

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str


class Status(BaseModel):
    running: bool
    plant_time_s: float
    inbox: int
    wip_cap: int
    release_held: bool
    error: str | None


@router.get("/health", response_model=Health, responses={503: {"model": Health}})
async def health(mes: MesDep, response: Response) -> Health:
    """``ok`` while the MES and the plant driver run, else 503 ``failed``."""
    if not mes.status()["running"]:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
        return Health(status="failed")
    return Health(status="ok")


@router.get("/status", response_model=Status)
async def service_status(mes: MesDep, _: Viewer) -> Status:
    """The MES's own state: plant clock, events waiting to be applied, release hold."""
    return Status(**mes.status())
