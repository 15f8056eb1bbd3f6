"""What HAPPENED: KPIs computed only from the twin's records (ISO 22400, bottlenecks)."""

from taktline.analysis.bottleneck import BottleneckShare, shifting_bottleneck
from taktline.analysis.flow import Flow, takt_attainment, time_average_wip
from taktline.analysis.kpis import AgvKpi, KpiReport, StationKpi, compute_kpis, planned_runtime
from taktline.analysis.oee import Oee, oee_from_elements
from taktline.analysis.states import Window, active_periods, time_in_states
from taktline.analysis.stats import Interval, mean_ci

__all__ = [
    "AgvKpi",
    "BottleneckShare",
    "Flow",
    "Interval",
    "KpiReport",
    "Oee",
    "StationKpi",
    "Window",
    "active_periods",
    "compute_kpis",
    "mean_ci",
    "oee_from_elements",
    "planned_runtime",
    "shifting_bottleneck",
    "takt_attainment",
    "time_average_wip",
    "time_in_states",
]
