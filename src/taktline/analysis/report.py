"""HTML reports with figures: one file, pictures embedded as base64 PNG, no CDN.

The figures are drawn with matplotlib's object API (no pyplot, no global state) and
imported only when a report is written, so the core installs without matplotlib
(``pip install 'taktline[experiment]'`` brings it). The time series come from the
records: throughput per step from the dispatch records, WIP from release and dispatch.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from taktline.analysis.states import Window
from taktline.sim.run import Run

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from taktline.simulate import Simulation

__all__ = [
    "STATE_COLOURS",
    "bottleneck_figure",
    "figure_html",
    "html_page",
    "html_table",
    "new_figure",
    "state_shares_figure",
    "throughput_figure",
    "throughput_series",
    "wip_series",
    "write_run_report",
]

STATE_COLOURS: dict[str, str] = {
    "working": "#2ca02c",
    "setup": "#9467bd",
    "failed": "#d62728",
    "blocked": "#ff7f0e",
    "starved": "#9ecae1",
    "planned": "#7f7f7f",
}
"""The colour of each station state in every figure (the tests read them back)."""

BOTTLENECK_COLOURS = {"sole": "#8c2d04", "shifting": "#fdae6b"}

_CSS = """
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:70em;color:#222}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:1em 0}td,th{padding:.2em .7em;border:1px solid #ddd}
th{background:#f4f4f4}td.n{text-align:right;font-variant-numeric:tabular-nums}
img{max-width:100%}p.note{color:#555;font-size:.9em}
"""


def _edges(horizon_s: float, step_s: float) -> NDArray[np.float64]:
    edges = np.arange(0.0, horizon_s, step_s, dtype=float)
    return np.append(edges, horizon_s)


def throughput_series(run: Run, step_s: float = 3600.0) -> NDArray[np.float64]:
    """Vehicles dispatched per step from time 0, as a rate in jobs per hour.

    Step i covers [i step, (i + 1) step); the last step ends at the horizon."""
    edges = _edges(run.horizon_s, step_s)
    counts, _ = np.histogram(run.records.table("dispatch").column("time"), bins=edges)
    return counts.astype(float) * 3600.0 / np.diff(edges)


def wip_series(run: Run, step_s: float = 3600.0) -> NDArray[np.float64]:
    """Time-average vehicles in the plant (released, not dispatched) over each step."""
    rel, dis = run.records.table("release"), run.records.table("dispatch")
    times = np.concatenate([rel.column("time"), dis.column("time")])
    delta = np.concatenate([np.ones(len(rel)), -np.ones(len(dis))])
    order = np.argsort(times, kind="stable")
    t, level = times[order], np.cumsum(delta[order])
    # integral of the level from 0 to each change point, then to any x
    area = np.concatenate([[0.0], np.cumsum(level[:-1] * np.diff(t))]) if len(t) else t

    def integral(x: NDArray[np.float64]) -> NDArray[np.float64]:
        i = np.searchsorted(t, x, side="right") - 1
        inside = i >= 0
        out = np.zeros_like(x)
        out[inside] = area[i[inside]] + level[i[inside]] * (x[inside] - t[i[inside]])
        return out

    edges = _edges(run.horizon_s, step_s)
    return np.diff(integral(edges)) / np.diff(edges)


def new_figure(width: float, height: float) -> tuple[Figure, Axes]:
    """A figure with one axes, without pyplot (no global figure registry)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    return fig, fig.add_subplot()


def figure_html(fig: Figure, alt: str) -> str:
    """The figure as an ``<img>`` with the PNG inline (base64)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def state_shares_figure(shares: Mapping[str, Mapping[str, float]], title: str) -> Figure:
    """Stacked horizontal bars: each station's share of time in each state."""
    names = list(shares)
    fig, ax = new_figure(9.0, 1.2 + 0.22 * len(names))
    left = np.zeros(len(names))
    for state, colour in STATE_COLOURS.items():
        width = np.array([shares[s].get(state, 0.0) for s in names])
        ax.barh(names, width, left=left, color=colour, label=state, height=0.8)
        left += width
    ax.set_xlim(0.0, 1.0)
    ax.margins(y=0.01)
    ax.invert_yaxis()
    ax.set_xlabel("share of the measured time")
    ax.set_title(title)
    ax.tick_params(axis="y", labelsize=7 if len(names) > 30 else 9)
    fig.legend(ncol=len(STATE_COLOURS), loc="outside lower center", fontsize=8, frameon=False)
    return fig


def bottleneck_figure(rows: Sequence[tuple[str, float, float]], title: str) -> Figure:
    """Stacked bars of each station's sole and shifting bottleneck share (top 12)."""
    top = sorted(rows, key=lambda r: -(r[1] + r[2]))[:12]
    names = [r[0] for r in top]
    fig, ax = new_figure(9.0, 1.4 + 0.3 * len(top))
    sole = np.array([r[1] for r in top])
    ax.barh(names, sole, color=BOTTLENECK_COLOURS["sole"], label="sole")
    ax.barh(names, [r[2] for r in top], left=sole, color=BOTTLENECK_COLOURS["shifting"],
            label="shifting")
    ax.invert_yaxis()
    ax.set_xlabel("share of the measured time (active period method)")
    ax.set_title(title)
    ax.legend(fontsize=8, frameon=False)
    return fig


def throughput_figure(
    series: Mapping[str, NDArray[np.float64]],
    step_s: float,
    takt_s: float,
    warmup_s: float,
) -> Figure:
    """Throughput per step over time, one line per series, with the takt rate."""
    fig, ax = new_figure(9.0, 3.6)
    for label, values in series.items():
        hours = np.arange(len(values) + 1) * step_s / 3600.0
        ax.stairs(values, hours, label=label, linewidth=1.2, baseline=None)
    ax.axhline(3600.0 / takt_s, color="black", linestyle="--", linewidth=1, label="takt rate")
    if warmup_s > 0:
        ax.axvspan(0.0, warmup_s / 3600.0, color="#dddddd", label="warm-up", zorder=0)
    ax.set_xlabel("hours from the start")
    ax.set_ylabel(f"vehicles per hour (per {step_s / 3600:g} h)")
    ax.set_ylim(bottom=0.0)
    fig.legend(fontsize=8, frameon=False, loc="outside right upper")
    ax.set_title("Throughput over time (from dispatch records)")
    return fig


def _cell(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        return f"<td>{html.escape(str(value))}</td>"
    v = float(value)
    text = f"{v:,.0f}" if v.is_integer() and abs(v) >= 100 else f"{v:.4g}"
    return f'<td class="n">{text}</td>'


def html_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """An HTML table; numbers right-aligned, everything escaped."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(_cell(c) for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def html_page(title: str, parts: Sequence[str]) -> str:
    """A whole HTML document: inline CSS, no scripts, no external resources."""
    body = "\n".join(parts)
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head>"
        f"<body><h1>{html.escape(title)}</h1>\n{body}\n</body></html>\n"
    )


def _run_summary(sim: Simulation) -> list[tuple[str, Any]]:
    k, f = sim.kpis, sim.kpis.flow
    bn = k.bottleneck
    return [
        ("measured days", k.window.length / 86400.0),
        ("warm-up hours", k.window.start / 3600.0),
        ("seed", str(k.seed)),
        ("vehicles completed", f.vehicles_completed),
        ("throughput (JPH)", f.throughput_jph),
        ("designed rate (JPH)", 3600.0 / k.takt_s),
        ("takt attainment", f.takt_attainment),
        ("lead time mean (h)", f.lead_time_mean_s / 3600.0),
        ("WIP mean (vehicles)", f.wip_mean),
        ("OEE plant", k.oee_plant.oee),
        ("bottleneck", bn.station if bn else "-"),
    ]


def write_run_report(simulation: Simulation, path: str | Path, step_s: float = 3600.0) -> Path:
    """Write the HTML report of one run: KPIs, OEE per shop, throughput over time,
    state shares per station and bottleneck shares."""
    k, run = simulation.kpis, simulation.run
    window = Window(run.warmup_s, run.horizon_s)
    parts = [
        "<h2>Summary</h2>",
        html_table(("KPI", "value"), _run_summary(simulation)),
        "<h2>OEE per shop (ISO 22400-2)</h2>",
        html_table(
            ("shop", "OEE", "availability", "effectiveness", "quality"),
            [(s, o.oee, o.availability, o.effectiveness, o.quality)
             for s, o in k.oee_shops.items()],
        ),
        "<h2>Throughput over time</h2>",
        figure_html(
            throughput_figure({"throughput": throughput_series(run, step_s)}, step_s,
                              k.takt_s, window.start),
            "throughput over time",
        ),
        "<h2>State shares per station</h2>",
        figure_html(
            state_shares_figure({s.id: s.shares for s in k.stations}, "Station states"),
            "state shares per station",
        ),
        "<h2>Bottleneck shares</h2>",
        figure_html(
            bottleneck_figure([(b.station, b.sole_share, b.shifting_share)
                               for b in k.bottlenecks], "Bottleneck shares"),
            "bottleneck shares",
        ),
        '<p class="note">KPI definitions: docs/kpis.md. Shares are of the measured window '
        "(after the warm-up).</p>",
    ]
    out = Path(path)
    out.write_text(html_page(f"{k.plant}: run report", parts), encoding="utf-8")
    return out
