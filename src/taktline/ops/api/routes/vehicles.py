"""Vehicles: list, and one with its full genealogy."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from taktline.ops.api.deps import MesDep, StoreDep, Viewer
from taktline.ops.api.schemas.common import MAX_PAGE
from taktline.ops.api.schemas.vehicles import (
    EventPublic,
    PartPublic,
    StepPublic,
    VehicleDetailPublic,
    VehiclePublic,
    VehiclesPublic,
)
from taktline.ops.store import vehicles as store_vehicles
from taktline.ops.store.models import OrderRow, VehicleRow
from taktline.ops.store.orders import order_of

router = APIRouter(prefix="/vehicles", tags=["vehicles"])
VinPath = Annotated[str, Path(pattern=r"^[A-HJ-NPR-Z0-9]{17}$",
                              description="17 characters, no I, O or Q")]


def _public(v: VehicleRow, o: OrderRow) -> VehiclePublic:
    return VehiclePublic(
        vin=v.vin, order_id=o.order_id, variant=o.variant, colour=o.colour,
        options=list(order_of(o)), state=v.state, location=v.location,
        released_t=v.released_t, entered_t=v.entered_t, completed_t=v.completed_t,
        eol_result=v.eol_result, first_pass=v.first_pass, released_at=v.released_at,
        completed_at=v.completed_at)


@router.get("", response_model=VehiclesPublic)
def list_vehicles(store: StoreDep, _: Viewer,
                  state: Literal["released", "in_process", "completed"] | None = None,
                  order_id: Annotated[str | None, Query(max_length=64)] = None,
                  location: Annotated[str | None, Query(max_length=80)] = None,
                  limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
                  offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0) -> VehiclesPublic:
    """Vehicles, newest first."""
    with store.read() as s:
        pairs, total = store_vehicles.list_vehicles(s, state=state, order_id=order_id,
                                                    location=location, limit=limit,
                                                    offset=offset)
        items = [_public(v, o) for v, o in pairs]
    return VehiclesPublic(items=items, count=total, limit=limit, offset=offset)


@router.get("/{vin}", response_model=VehicleDetailPublic, responses={404: {}})
def get_vehicle(vin: VinPath, mes: MesDep, store: StoreDep, _: Viewer) -> VehicleDetailPublic:
    """One vehicle: station history with times and robots, parts (battery-pack serial,
    press lots of its panels), quality results, and its events."""
    robots = mes.topo.robots
    with store.read() as s:
        d = store_vehicles.get_vehicle(s, vin)
        base = _public(d.vehicle, d.order)
        history = [StepPublic(station=st.station, started_t=st.started_t,
                              finished_t=st.finished_t, good=st.good,
                              robots=list(st.robots if st.robots is not None
                                          else robots.get(st.station, ())),
                              interrupted=st.interrupted) for st in d.steps]
        parts = [PartPublic(station=p.station, part=p.part, serial=p.serial, lot=p.lot, t=p.t)
                 for p in d.parts]
        events = [EventPublic(id=e.id, t=e.t, at=e.at, kind=e.kind, station=e.station,
                              vin=e.vin, data=e.data) for e in d.events]
    return VehicleDetailPublic(**base.model_dump(), history=history, parts=parts,
                               events=events)
