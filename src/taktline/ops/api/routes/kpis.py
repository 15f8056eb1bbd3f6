"""Live KPIs, computed by the same analysis code as the offline twin."""

from __future__ import annotations

import math
from typing import Annotated, Any

from fastapi import APIRouter, Query

from taktline.analysis import Oee
from taktline.ops.api.deps import MesDep, Viewer
from taktline.ops.api.schemas.plant import KpiPublic, OeePublic

router = APIRouter(prefix="/kpis", tags=["kpis"])


def _oee(o: Oee) -> OeePublic:
    return OeePublic(oee=o.oee, availability=o.availability, effectiveness=o.effectiveness,
                     quality=o.quality)


@router.get("", response_model=KpiPublic)
def get_kpis(mes: MesDep, _: Viewer,
             window_h: Annotated[float | None, Query(gt=0, le=720)] = None) -> KpiPublic:
    """JPH, takt attainment, OEE of the plant and per shop (ISO 22400-2), bottleneck,
    over the last ``window_h`` hours of plant time (default: the setting, 8 h)."""
    hours = window_h if window_h is not None else mes.settings.api.kpi_window_h
    k = mes.kpis(hours * 3600.0)
    f = k.flow
    return KpiPublic(
        window_start_t=k.window.start, window_end_t=k.window.end,
        vehicles_completed=f.vehicles_completed, good_vehicles=f.good_vehicles,
        throughput_jph=f.throughput_jph, takt_s=k.takt_s, takt_attainment=f.takt_attainment,
        lead_time_mean_s=f.lead_time_mean_s, wip_mean=f.wip_mean,
        oee_plant=_oee(k.oee_plant), oee_shops={s: _oee(o) for s, o in k.oee_shops.items()},
        bottleneck=k.bottleneck.station if k.bottleneck else None,
        report=_finite(k.to_dict()))


def _finite(value: Any) -> Any:
    """JSON has no NaN or infinity: they become null."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value
