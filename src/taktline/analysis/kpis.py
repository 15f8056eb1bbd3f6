"""All KPIs of one run, computed only from the records the twin emitted.

The measurement window starts after the warm-up and ends at the horizon; records
outside it do not count (a state that straddles an edge counts for its part inside).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from taktline.analysis.bottleneck import BottleneckShare, shifting_bottleneck
from taktline.analysis.flow import Flow, flow_kpis
from taktline.analysis.oee import Oee, oee_from_elements
from taktline.analysis.states import Window, active_periods, time_in_states
from taktline.plant.schema import Plant
from taktline.sim.records import RecordLog, State
from taktline.sim.run import Run

__all__ = ["AgvKpi", "KpiReport", "StationKpi", "compute_kpis", "planned_runtime"]

SHARE_NAMES = ("working", "blocked", "starved", "failed", "setup")


@dataclass(frozen=True, slots=True)
class StationKpi:
    """What one station did in the window."""

    id: str
    shop: str
    servers: int
    robots: int
    shares: dict[str, float]  # working, blocked, starved, failed, setup, planned
    oee: Oee
    setups: int
    overloads: int
    failures: int
    mean_active_s: float


@dataclass(frozen=True, slots=True)
class AgvKpi:
    """Use of one AGV fleet in the window."""

    fleet: str
    size: int
    transports: int
    busy_share: float  # share of AGV time not idle
    mean_transport_s: float


@dataclass(frozen=True)
class KpiReport:
    """Every KPI of a run; :meth:`to_dict` is the JSON the CLI writes."""

    plant: str
    seed: int
    window: Window
    takt_s: float
    flow: Flow
    robots: int
    robots_by_type: dict[str, int]
    oee_plant: Oee
    oee_shops: dict[str, Oee]
    stations: list[StationKpi]
    bottlenecks: list[BottleneckShare]
    agvs: list[AgvKpi]
    colour_purges: int
    overloads: int
    events: int = 0
    wall_s: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def bottleneck(self) -> BottleneckShare | None:
        return self.bottlenecks[0] if self.bottlenecks else None

    @property
    def design_rate_share(self) -> float:
        """Vehicles completed against the designed rate (window / takt)."""
        return self.flow.vehicles_completed * self.takt_s / self.window.length

    def station_frame(self) -> pd.DataFrame:
        """One row per station: shop, shares, OEE and its factors."""
        return pd.DataFrame(
            [
                {
                    "station": s.id,
                    "shop": s.shop,
                    "robots": s.robots,
                    **s.shares,
                    "oee": s.oee.oee,
                    "availability": s.oee.availability,
                    "effectiveness": s.oee.effectiveness,
                    "quality": s.oee.quality,
                    "setups": s.setups,
                    "overloads": s.overloads,
                    "failures": s.failures,
                }
                for s in self.stations
            ]
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON of ``taktline simulate --json`` (keys documented in docs/kpis.md)."""
        f = self.flow
        return {
            "plant": self.plant,
            "seed": self.seed,
            "window_s": [self.window.start, self.window.end],
            "vehicles_completed": f.vehicles_completed,
            "good_vehicles": f.good_vehicles,
            "released": f.released,
            "throughput_jph": f.throughput_jph,
            "takt_s": self.takt_s,
            "design_rate_share": self.design_rate_share,
            "takt_attainment": f.takt_attainment,
            "mean_interdeparture_s": f.mean_interdeparture_s,
            "p95_interdeparture_s": f.p95_interdeparture_s,
            "robots": self.robots,
            "robots_by_type": self.robots_by_type,
            "oee": {
                "plant": self.oee_plant.to_dict(),
                "shops": {k: v.to_dict() for k, v in self.oee_shops.items()},
                "stations": {s.id: s.oee.to_dict() for s in self.stations},
            },
            **self._bottleneck_dict(),
            "lead_time_s": {"mean": f.lead_time_mean_s, "p95": f.lead_time_p95_s},
            "wip_mean": f.wip_mean,
            "colour_purges": self.colour_purges,
            "overloads": self.overloads,
            "stations": [
                {"id": s.id, "shop": s.shop, "robots": s.robots, **s.shares,
                 "setups": s.setups, "overloads": s.overloads, "failures": s.failures}
                for s in self.stations
            ],
            "agvs": [
                {"fleet": a.fleet, "size": a.size, "transports": a.transports,
                 "busy_share": a.busy_share, "mean_transport_s": a.mean_transport_s}
                for a in self.agvs
            ],
            "events": self.events,
            "wall_s": self.wall_s,
        }

    def _bottleneck_dict(self) -> dict[str, Any]:
        bn = self.bottleneck
        return {
            "bottleneck": {
                "station": bn.station if bn else None,
                "sole_share": bn.sole_share if bn else 0.0,
                "shifting_share": bn.shifting_share if bn else 0.0,
            },
            "bottleneck_ranking": [
                {"station": b.station, "sole_share": b.sole_share,
                 "shifting_share": b.shifting_share, "mean_active_s": b.mean_active_s}
                for b in self.bottlenecks[:10]
            ],
        }

def planned_runtime(plant: Plant) -> list[NDArray[np.float64]]:
    """PRI per station and variant: mean cycle time / servers (last entry: parts)."""
    variants = plant.products.variants
    out = []
    for st in plant.stations:
        cyc = st.cycle
        if isinstance(cyc, dict):
            default = cyc.get("default") or next(iter(cyc.values()))
            means = [
                (cyc.get(v.id) or (cyc.get(v.model) if v.model else None) or default).mean_value
                for v in variants
            ]
            means.append(default.mean_value)
        else:
            means = [cyc.mean_value] * (len(variants) + 1)
        out.append(np.asarray(means) / st.servers)
    return out


def _in(times: NDArray[np.float64], window: Window) -> NDArray[np.bool_]:
    return (times >= window.start) & (times < window.end)


def _per_station_counts(run: Run, window: Window) -> dict[str, NDArray[np.int64]]:
    """Setups, overloads and failures (not planned stops) per station in the window."""
    log, n = run.records, len(run.plant.stations)
    setup, over, down = log.table("setup"), log.table("overload"), log.table("downtime")

    def per_station(stations: NDArray[np.int16], keep: NDArray[np.bool_]) -> NDArray[np.int64]:
        return np.bincount(stations[keep].astype(np.int64), minlength=n)

    return {
        "setups": per_station(setup.column("station"), _in(setup.column("time"), window)),
        "overloads": per_station(over.column("station"), _in(over.column("time"), window)),
        "failures": per_station(
            down.column("station"),
            _in(down.column("start"), window) & (down.column("planned") == 0),
        ),
    }


def _station_oee(
    run: Run, i: int, secs: NDArray[np.float64], pri: NDArray[np.float64], window: Window
) -> Oee:
    """ISO 22400-2 OEE of station ``i`` from its time in states and its operations."""
    ops = run.records.ops[i]
    done = _in(ops.column("end"), window)
    return oee_from_elements(
        pbt=window.length - secs[State.PLANNED],
        adot=secs[State.FAILED],
        adet=secs[State.STARVED] + secs[State.BLOCKED],
        aust=secs[State.SETUP],
        pri_pq=float(pri[ops.column("variant")[done].astype(np.int64)].sum()),
        pq=int(done.sum()),
        gq=int(ops.column("good")[done].sum()),
    )


def _station_kpis(run: Run, window: Window) -> tuple[list[StationKpi], list[Any]]:
    log: RecordLog = run.records
    pri = planned_runtime(run.plant)
    counts = _per_station_counts(run, window)
    stations, periods = [], []
    for i, st in enumerate(run.plant.stations):
        times, codes = log.state_arrays(i)
        servers_at = log.state_counts(i)
        secs = time_in_states(times, codes, window, servers_at, st.servers)
        shares = {
            name: float(secs[State[name.upper()]] / window.length)
            for name in (*SHARE_NAMES, "planned")
        }
        p = active_periods(times, codes, run.horizon_s, servers_at, st.servers)
        periods.append(p)
        durations = p[1] - p[0]
        stations.append(
            StationKpi(
                id=st.id,
                shop=st.shop,
                servers=st.servers,
                robots=st.robot_count,
                shares=shares,
                oee=_station_oee(run, i, secs, pri[i], window),
                setups=int(counts["setups"][i]),
                overloads=int(counts["overloads"][i]),
                failures=int(counts["failures"][i]),
                mean_active_s=float(durations.mean()) if len(durations) else 0.0,
            )
        )
    return stations, periods


def _aggregate(kpis: list[StationKpi]) -> Oee:
    """OEE of a group of stations from the sums of their ISO 22400-2 elements."""

    def total(attr: str) -> float:
        return float(sum(getattr(s.oee, attr) for s in kpis))

    return oee_from_elements(
        pbt=total("pbt_s"),
        adot=total("adot_s"),
        adet=total("adet_s"),
        aust=total("aust_s"),
        pri_pq=total("pri_pq_s"),
        pq=int(total("pq")),
        gq=int(total("gq")),
    )


def _agv_kpis(run: Run, window: Window) -> list[AgvKpi]:
    log = run.records
    agv, tr = log.table("agv"), log.table("transport")
    out = []
    for f, fleet in enumerate(run.plant.fleets):
        busy = 0.0
        t_all, fl, ids, states = (agv.column(c) for c in ("time", "fleet", "agv", "state"))
        for a in range(fleet.size):
            sel = (fl == f) & (ids == a)
            secs = time_in_states(t_all[sel], states[sel], window)
            busy += float(secs[1:].sum())
        sel = (tr.column("fleet") == f) & _in(tr.column("dropped"), window)
        dur = tr.column("dropped")[sel] - tr.column("dispatched")[sel]
        out.append(
            AgvKpi(
                fleet.id,
                fleet.size,
                int(sel.sum()),
                busy / (fleet.size * window.length) if window.length else 0.0,
                float(dur.mean()) if len(dur) else 0.0,
            )
        )
    return out


def compute_kpis(run: Run) -> KpiReport:
    """Every KPI of ``run`` over the window [warm-up, horizon)."""
    window = Window(run.warmup_s, run.horizon_s)
    log = run.records
    rel, dis = log.table("release"), log.table("dispatch")
    flow = flow_kpis(
        rel.column("time"),
        rel.column("vehicle"),
        dis.column("time"),
        dis.column("vehicle"),
        dis.column("good"),
        window,
        run.plant.takt,
    )
    stations, periods = _station_kpis(run, window)
    shops = {
        shop.id: _aggregate([s for s in stations if s.shop == shop.id]) for shop in run.plant.shops
    }
    colour_stations = [
        i
        for i, st in enumerate(run.plant.stations)
        if st.setup is not None and st.setup.on == "colour"
    ]
    purges = sum(stations[i].setups for i in colour_stations)
    return KpiReport(
        plant=run.plant.name,
        seed=run.seed,
        window=window,
        takt_s=run.plant.takt,
        flow=flow,
        robots=run.plant.robot_count,
        robots_by_type=run.plant.robots_by_type(),
        oee_plant=_aggregate(stations),
        oee_shops=shops,
        stations=stations,
        bottlenecks=shifting_bottleneck(periods, [s.id for s in stations], window),
        agvs=_agv_kpis(run, window),
        colour_purges=purges,
        overloads=sum(s.overloads for s in stations),
        events=run.events,
        wall_s=run.wall_s,
    )
