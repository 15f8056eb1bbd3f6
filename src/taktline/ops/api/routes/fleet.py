"""The AGV fleets: path network and every vehicle as the VDA 5050 fleet manager sees it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from taktline.ops.api.deps import MesDep, Viewer
from taktline.ops.api.schemas.fleet import FleetList
from taktline.ops.twin_driver import TwinDriver

router = APIRouter(prefix="/fleet", tags=["fleet"])


@router.get("", response_model=FleetList, response_model_by_alias=True)
async def get_fleet(mes: MesDep, _: Viewer) -> dict[str, Any]:
    """Every fleet's network and AGVs (plant times on the MES clock)."""
    driver = mes.driver
    if not isinstance(driver, TwinDriver) or driver.fleets is None \
            or driver.fleets.transport is None:
        return {"fleets": []}
    fleets = driver.fleets.snapshot()
    for f in fleets:
        for a in f["agvs"]:
            a["t"] += mes.base
            if a["eta_t"] is not None:
                a["eta_t"] += mes.base
    return {"fleets": fleets}
