"""Flow KPIs from release and dispatch records: throughput, takt, lead time, WIP."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from taktline.analysis.states import Window

__all__ = ["Flow", "flow_kpis", "takt_attainment", "time_average_wip"]


@dataclass(frozen=True, slots=True)
class Flow:
    """Output of the plant in the window."""

    vehicles_completed: int
    good_vehicles: int
    throughput_jph: float
    mean_interdeparture_s: float
    p95_interdeparture_s: float
    takt_attainment: float
    lead_time_mean_s: float
    lead_time_p95_s: float
    wip_mean: float
    released: int


def takt_attainment(departures: NDArray[np.float64], window: Window, takt: float) -> float:
    """Share of the whole takt intervals of the window that delivered at least one vehicle.

    The window is cut into ``floor(length / takt)`` consecutive intervals from its
    start; a trailing partial interval is not judged."""
    n = int(window.length // takt)
    if n <= 0:
        return 0.0
    slots = np.floor((departures - window.start) / takt).astype(np.int64)
    slots = slots[(slots >= 0) & (slots < n)]
    return float(len(np.unique(slots)) / n)


def time_average_wip(
    entries: NDArray[np.float64], exits: NDArray[np.float64], window: Window
) -> float:
    """Time-average number in system over the window: each item counts from its entry
    to its exit (NaN exit = still inside at the end)."""
    if window.length <= 0:
        return 0.0
    ex = np.where(np.isnan(exits), window.end, exits)
    inside = np.clip(ex, window.start, window.end) - np.clip(entries, window.start, window.end)
    return float(np.clip(inside, 0.0, None).sum() / window.length)


def _p95(values: NDArray[np.float64]) -> float:
    return float(np.percentile(values, 95)) if len(values) else 0.0


def flow_kpis(
    release_time: NDArray[np.float64],
    release_vehicle: NDArray[np.int64],
    dispatch_time: NDArray[np.float64],
    dispatch_vehicle: NDArray[np.int64],
    dispatch_good: NDArray[np.int8],
    window: Window,
    takt: float,
) -> Flow:
    """Every flow KPI of the window from the release and dispatch records."""
    n_vehicles = int(max(release_vehicle.max(initial=-1), dispatch_vehicle.max(initial=-1)) + 1)
    released_at = np.full(n_vehicles, np.nan)
    released_at[release_vehicle] = release_time
    left_at = np.full(n_vehicles, np.nan)
    left_at[dispatch_vehicle] = dispatch_time
    inwin = (dispatch_time >= window.start) & (dispatch_time < window.end)
    dep = np.sort(dispatch_time[inwin])
    gaps = np.diff(dep)
    lead = dispatch_time[inwin] - released_at[dispatch_vehicle[inwin]]
    hours = window.length / 3600.0
    return Flow(
        vehicles_completed=int(inwin.sum()),
        good_vehicles=int(dispatch_good[inwin].sum()),
        throughput_jph=float(inwin.sum() / hours) if hours > 0 else 0.0,
        mean_interdeparture_s=float(gaps.mean()) if len(gaps) else 0.0,
        p95_interdeparture_s=_p95(gaps),
        takt_attainment=takt_attainment(dep, window, takt),
        lead_time_mean_s=float(lead.mean()) if len(lead) else 0.0,
        lead_time_p95_s=_p95(lead),
        wip_mean=time_average_wip(
            released_at[~np.isnan(released_at)], left_at[~np.isnan(released_at)], window
        ),
        released=int(((release_time >= window.start) & (release_time < window.end)).sum()),
    )
