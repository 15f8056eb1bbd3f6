"""What the dashboard needs beyond the resource routes: the plant map, the live picture
(station states, buffer levels, AGVs), the KPI tiles, the chart series, and the orders
table with search and progress. Every KPI comes from the same analysis code as
``GET /kpis`` (and as the offline twin)."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from taktline.analysis import KpiReport
from taktline.ops.api.deps import MesDep, StoreDep, Viewer
from taktline.ops.api.routes.kpis import _finite
from taktline.ops.api.schemas.common import MAX_PAGE
from taktline.ops.driver import Paced
from taktline.ops.store.db import Store
from taktline.ops.web import queries
from taktline.ops.web.layout import plant_map

router = APIRouter(prefix="/dashboard", tags=["dashboard"])
Window = Annotated[float | None, Query(gt=0, le=720, description="hours of plant time "
                                       "(default: the KPI window setting, 8 h)")]


@router.get("/session")
def get_session(role: Viewer) -> dict[str, Any]:
    """The caller's role: the page shows station commands and the twin's speed control
    only to an admin."""
    return {"role": role.value}


@router.get("/map")
def get_map(mes: MesDep, _: Viewer) -> dict[str, Any]:
    """Where the map draws each station, buffer and shop (the plant file's ``layout``, or
    the automatic layered layout), the links between them, and each AGV fleet's path
    network (metres)."""
    plant = mes.plant
    out = plant_map(plant).to_dict(plant)
    out["fleets"] = [{
        "id": f.id, "size": f.size, "speed": f.speed, "home": f.home,
        "nodes": [{"id": n.id, "x": n.x, "y": n.y, "charger": n.charger}
                  for n in f.network.nodes],
        "edges": [{"from": e.from_, "to": e.to, "two_way": e.two_way}
                  for e in f.network.edges],
        "buffers": {b.id: b.node for b in plant.buffers if b.node is not None}}
        for f in plant.fleets]
    return out


@router.get("/live")
async def get_live(mes: MesDep, store: StoreDep, _: Viewer) -> dict[str, Any]:
    """The plant now: clock, twin speed, every station's state (with who holds a stopped
    one: ``admin`` or a fault policy), every buffer's level, the AGVs' last nodes,
    vehicles in the plant, the id of the last logged event."""
    snap = mes.driver.snapshot()  # on the event loop, like the MES: a consistent picture
    holds = {st: sorted(why) for st, why in mes.policies.holds.items()}
    wip = await asyncio.to_thread(_wip, store)
    return {
        "t": mes.now,
        "speed": mes.driver.speed if isinstance(mes.driver, Paced) else 1.0,
        "release_held": mes.policies.release_held,
        "wip": wip, "last_event_id": mes.hub.last_id,
        "stations": [{"id": st.station, "state": st.state, "since": st.since,
                      "vins": list(st.vins), "held": st.stopped, "degraded": st.degraded,
                      "holds": holds.get(st.station, [])}
                     for st in snap.stations],
        "buffers": {b.buffer: b.level for b in snap.buffers},
        "agvs": [{"fleet": f, "agv": str(a), "node": n} for f, a, n in snap.agv_positions],
    }


def _wip(store: Store) -> int:
    with store.read() as s:
        return queries.wip_now(s)


def _window(mes: MesDep, hours: float | None) -> float:
    return (hours if hours is not None else mes.settings.api.kpi_window_h) * 3600.0


@router.get("/summary")
def get_summary(mes: MesDep, store: StoreDep, _: Viewer,
                window_h: Window = None) -> dict[str, Any]:
    """The KPI tiles: vehicles completed this plant day against the plan (one every takt
    since the day began) and against the day's plan, JPH over the last hour, takt
    attainment, OEE of the plant and per shop, vehicles in the plant, the bottleneck."""
    now = mes.now
    report = mes.kpis(_window(mes, window_h))
    hour = mes.kpis(3600.0)
    day0 = (now // queries.DAY_S) * queries.DAY_S
    takt = mes.plant.takt
    with store.read() as s:
        today = queries.completed_between(s, day0, now + 1e-9)
        wip = queries.wip_now(s)
    bn = report.bottleneck
    out: dict[str, Any] = _finite({
        "t": now, "day": int(now // queries.DAY_S) + 1,
        "window_s": [report.window.start, report.window.end],
        "vehicles_today": today, "plan_so_far": int((now - day0) // takt),
        "plan_day": int(queries.DAY_S // takt),
        "jph_last_hour": hour.flow.throughput_jph, "takt_s": takt,
        "design_jph": 3600.0 / takt,
        "takt_attainment": report.flow.takt_attainment,
        "oee_plant": report.oee_plant.oee,
        "oee_shops": {k: v.oee for k, v in report.oee_shops.items()},
        "wip": wip, "wip_mean": report.flow.wip_mean, "wip_cap": mes.policies.wip_cap,
        "bottleneck": {"station": bn.station, "sole_share": bn.sole_share,
                       "shifting_share": bn.shifting_share} if bn else None,
    })
    return out


def _stations(report: KpiReport) -> list[dict[str, Any]]:
    return [{"id": s.id, "shop": s.shop, "shares": s.shares, "oee": s.oee.oee,
             "availability": s.oee.availability, "effectiveness": s.oee.effectiveness,
             "quality": s.oee.quality, "failures": s.failures, "setups": s.setups}
            for s in report.stations]


@router.get("/series")
def get_series(mes: MesDep, store: StoreDep, _: Viewer, window_h: Window = None,
               bins: Annotated[int, Query(ge=2, le=200)] = 24) -> dict[str, Any]:
    """The charts: throughput over time (JPH per bin), state shares and OEE per station,
    the bottleneck ranking (sole and shifting shares), the lead-time distribution."""
    window = _window(mes, window_h)
    now = mes.now
    start = max(0.0, now - window)
    report = mes.kpis(window)
    end = max(now, start + 1.0)
    with store.read() as s:
        tp = queries.throughput(s, start, end, bins)
        lead = queries.lead_times(s, start, end, min(bins, 20))
    out: dict[str, Any] = _finite({
        "t": now, "window_s": [start, end], "design_jph": 3600.0 / mes.plant.takt,
        "throughput": tp, "lead_time": lead, "stations": _stations(report),
        "bottlenecks": [{"station": b.station, "sole_share": b.sole_share,
                         "shifting_share": b.shifting_share} for b in report.bottlenecks[:10]],
    })
    return out


@router.get("/orders")
def get_orders(mes: MesDep, store: StoreDep, _: Viewer,
               q: Annotated[str | None, Query(max_length=64,
                                              pattern=r"^[A-Za-z0-9_.:-]*$")] = None,
               status: Literal["accepted", "released", "completed", "cancelled"] | None = None,
               variant: Annotated[str | None, Query(max_length=64)] = None,
               colour: Annotated[str | None, Query(max_length=64)] = None,
               limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
               offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0) -> dict[str, Any]:
    """Orders newest first with their vehicle, location and progress along the vehicle
    path (0 to 1); ``q`` searches order ids and VINs."""
    progress = queries.Progress(mes.topo)
    with store.read() as s:
        lines, total = queries.order_lines(s, q=q, status=status, variant=variant,
                                           colour=colour, limit=limit, offset=offset)
        items = [queries.line_dict(line, progress) for line in lines]
    return {"items": items, "count": total, "limit": limit, "offset": offset}
