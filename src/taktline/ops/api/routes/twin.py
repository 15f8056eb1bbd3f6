"""The twin: its speed (plant seconds per wall second), the plant clock, the release
state; admins change the speed (0 pauses the twin)."""

from __future__ import annotations

from fastapi import APIRouter

from taktline.ops.api.deps import Admin, MesDep, Viewer
from taktline.ops.api.schemas.plant import TwinPublic, TwinUpdate
from taktline.ops.driver import Paced

router = APIRouter(prefix="/twin", tags=["twin"])


def _public(mes: MesDep) -> TwinPublic:
    snap = mes.driver.snapshot()
    speed = mes.driver.speed if isinstance(mes.driver, Paced) else 1.0
    return TwinPublic(speed=speed, plant_time_s=mes.now, queued=snap.queued,
                      wip_cap=mes.policies.wip_cap, release_held=mes.policies.release_held)


@router.get("", response_model=TwinPublic)
async def get_twin(mes: MesDep, _: Viewer) -> TwinPublic:
    return _public(mes)


@router.put("", response_model=TwinPublic, responses={409: {}})
async def set_twin(body: TwinUpdate, mes: MesDep, role: Admin) -> TwinPublic:
    """Set the twin's speed (logged in the audit log); 409 for a real-time plant."""
    await mes.set_speed(body.speed, f"api:{role.value}")
    return _public(mes)
