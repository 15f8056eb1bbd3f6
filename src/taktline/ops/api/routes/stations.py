"""Stations: their live state, and commands (stop, start, reset) for admins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status

from taktline.errors import NotFoundError
from taktline.ops.api.deps import Admin, MesDep, StoreDep, Viewer
from taktline.ops.api.schemas.plant import (
    CommandCreate,
    CommandPublic,
    StationPublic,
    StationsPublic,
)
from taktline.ops.store import log as store_log

router = APIRouter(prefix="/stations", tags=["stations"])
StationPath = Annotated[str, Path(pattern=r"^[A-Za-z_][A-Za-z0-9_.-]*$", max_length=64)]


def _stations(mes: MesDep, store: StoreDep) -> list[StationPublic]:
    snap = {s.station: s for s in mes.driver.snapshot().stations}
    with store.read() as s:
        rows = store_log.list_stations(s)
    out = []
    for st in mes.plant.stations:
        row, live = rows.get(st.id), snap.get(st.id)
        out.append(StationPublic(
            id=st.id, name=st.name, shop=st.shop, servers=st.servers,
            state=row.state if row is not None else (live.state if live else "starved"),
            since_t=row.since_t if row is not None else 0.0,
            held=row.held if row is not None else False,
            degraded=row.degraded if row is not None else False,
            finished=row.finished if row is not None else 0,
            vins=list(live.vins) if live is not None else [],
            robots=list(mes.topo.robots.get(st.id, ())),
            option=mes.topo.option_stations.get(st.id)))
    return out


@router.get("", response_model=StationsPublic)
def list_stations(mes: MesDep, store: StoreDep, _: Viewer) -> StationsPublic:
    """Every station in plant order, with its state as the MES last recorded it."""
    items = _stations(mes, store)
    return StationsPublic(items=items, count=len(items))


@router.get("/{station}", response_model=StationPublic, responses={404: {}})
def get_station(station: StationPath, mes: MesDep, store: StoreDep, _: Viewer) -> StationPublic:
    for item in _stations(mes, store):
        if item.id == station:
            return item
    raise NotFoundError(f"no station {station!r}")


@router.post("/{station}/commands", status_code=status.HTTP_202_ACCEPTED,
             response_model=CommandPublic, responses={404: {}})
async def command_station(station: StationPath, body: CommandCreate, mes: MesDep,
                          role: Admin) -> CommandPublic:
    """Stop (hold), start (release the hold) or reset a station. Logged in the audit log.
    A stop is planned downtime; work in progress resumes on start."""
    await mes.command(station, body.action, f"api:{role.value}")
    state = next((s.state for s in mes.driver.snapshot().stations if s.station == station),
                 "unknown")
    return CommandPublic(station=station, action=body.action, state=state)
