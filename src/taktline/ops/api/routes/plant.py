"""The plant's structure: shops, stations with robots and wiring, buffers, catalogue."""

from __future__ import annotations

from fastapi import APIRouter

from taktline.ops.api.deps import MesDep, Viewer
from taktline.ops.api.schemas.plant import PlantPublic

router = APIRouter(prefix="/plant", tags=["plant"])


@router.get("", response_model=PlantPublic)
def get_plant(mes: MesDep, _: Viewer) -> PlantPublic:
    """The plant description the service runs (as in the plant YAML, validated), with the
    robot ids the genealogy uses."""
    p = mes.plant
    topo = mes.topo
    stations = []
    for st in p.stations:
        d = st.model_dump(mode="json", by_alias=True, exclude={"cycle", "failures", "setup"})
        d["robot_ids"] = list(topo.robots.get(st.id, ()))
        d["on_vehicle_path"] = st.id in topo.vehicle_input
        d["branch"] = topo.branches[st.id].split if st.id in topo.branches else None
        stations.append(d)
    return PlantPublic(
        name=p.name, takt_s=p.takt, shops=[s.model_dump(mode="json") for s in p.shops],
        stations=stations, buffers=[b.model_dump(mode="json") for b in p.buffers],
        products=p.products.model_dump(mode="json"),
        fleets=[{"id": f.id, "size": f.size, "speed": f.speed,
                 "nodes": [n.model_dump(mode="json") for n in f.network.nodes]}
                for f in p.fleets])
