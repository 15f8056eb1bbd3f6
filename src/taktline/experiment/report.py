"""The HTML report of an experiment: tables with confidence intervals and figures.

KPI against each factor with 95 % confidence bars, paired comparisons with the base,
throughput over time, state shares per station and bottleneck shares (the base and the
best scenario), and the MSER-5 warm-up when it was detected. One self-contained file.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from taktline.analysis.report import (
    bottleneck_figure,
    figure_html,
    html_page,
    html_table,
    new_figure,
    state_shares_figure,
    throughput_figure,
)
from taktline.experiment.tasks import higher_is_better
from taktline.plant.units import format_duration

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from taktline.experiment.results import ExperimentResult

__all__ = ["best_scenario", "factor_figure", "write_experiment_report"]

MAX_LINES = 8


def best_scenario(result: ExperimentResult, kpi: str) -> str:
    """The scenario with the best mean ``kpi``."""
    return result.comparisons(kpi)[0].scenario


def _numeric(values: Sequence[Any]) -> bool:
    return all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)


def factor_figure(result: ExperimentResult, factor: str, kpis: Sequence[str]) -> Figure:
    """Each KPI against one factor: scenario means with 95 % confidence bars, one line
    per combination of the other factors' levels."""
    from matplotlib.figure import Figure

    scenarios = result.experiment.scenarios
    cols = min(3, len(kpis))
    rows = (len(kpis) + cols - 1) // cols
    fig = Figure(figsize=(4.2 * cols, 3.2 * rows), dpi=100, layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    xs_all = [s.levels[factor] for s in scenarios]
    numeric = _numeric(xs_all)
    cats = sorted({str(x) for x in xs_all})
    groups: dict[tuple[Any, ...], list[Any]] = {}
    for s in scenarios:
        key = tuple((g, v) for g, v in s.levels.items() if g != factor)
        groups.setdefault(key, []).append(s)
    for ax, kpi in zip(axes, kpis, strict=False):
        for key, members in list(groups.items())[:MAX_LINES * 4]:
            members = sorted(members, key=lambda s: s.levels[factor] if numeric
                             else cats.index(str(s.levels[factor])))
            x = [s.levels[factor] if numeric else cats.index(str(s.levels[factor]))
                 for s in members]
            cis = [result.interval(s.name, kpi) for s in members]
            label = ", ".join(f"{g}={v:g}" if isinstance(v, float) else f"{g}={v}"
                              for g, v in key) or None
            ax.errorbar(x, [c.mean for c in cis], yerr=[c.half_width for c in cis],
                        marker="o", capsize=4, linestyle="-" if len(groups) <= MAX_LINES
                        else "none", label=label if len(groups) <= MAX_LINES else None)
        if not numeric:
            ax.set_xticks(range(len(cats)), cats, rotation=30)
        path = result.experiment.spec.factors[factor].path
        shown = path if isinstance(path, str) else f"{path[0]} ..."
        ax.set_xlabel(f"{factor} ({shown})", fontsize=8)
        ax.set_ylabel(kpi)
        ax.grid(alpha=0.3)
    for ax in axes[len(kpis):]:
        ax.set_visible(False)
    if 1 < len(groups) <= MAX_LINES:
        axes[0].legend(fontsize=7, frameon=False)
    fig.suptitle(f"KPIs against {factor} (mean and 95 % confidence interval)")
    return fig


def _warmup_figure(result: ExperimentResult) -> Figure:
    w = result.warmup
    step = result.experiment.spec.run.step
    fig, ax = new_figure(9.0, 3.2)
    hours = np.arange(len(w.series) + 1) * step / 3600.0
    ax.stairs(w.series, hours, label=f"mean {w.series_name} of the pilot runs", baseline=None)
    ax.axvline(w.seconds / 3600.0, color="black", linestyle="--",
               label=f"MSER-5 truncation ({w.seconds / 3600:g} h)")
    ax.set_xlabel("hours from the start")
    ax.legend(fontsize=8, frameon=False)
    ax.set_title("Warm-up detection (MSER-5)")
    return fig


def _fmt(mean: float, hw: float) -> str:
    return f"{mean:.4g} ± {hw:.2g}" if np.isfinite(hw) else f"{mean:.4g}"


def _header(result: ExperimentResult) -> list[str]:
    exp = result.experiment
    spec = exp.spec
    w = result.warmup
    pilots = getattr(spec.run.warmup, "pilot_replications", 0)
    warm = format_duration(w.seconds) + (
        f" (MSER-5 on the mean {w.series_name} per {format_duration(spec.run.step)} of "
        f"{pilots} pilot runs of the base scenario)" if w.method == "mser5" else " (fixed)")
    seeds = [spec.seed_of(k) for k in range(1, spec.replications + 1)]
    rows = [
        ("plant", exp.base_plant.name), ("design", spec.design.kind),
        ("scenarios", len(exp.scenarios)), ("base scenario", exp.base),
        ("replications", spec.replications),
        ("seeds (common to all scenarios)", ", ".join(map(str, seeds))),
        ("measured length", format_duration(spec.run.length)), ("warm-up", warm),
        ("backend", result.backend), ("runs done / reused", f"{result.ran} / {result.reused}"),
    ]
    parts = [f"<p>{html.escape(spec.description.strip())}</p>"] if spec.description else []
    return [*parts, html_table(("", ""), rows)]


def _scenario_table(result: ExperimentResult) -> str:
    exp = result.experiment
    kpis = list(exp.spec.kpis)
    factors = list(exp.steps)
    rows = []
    for s in exp.scenarios:
        cis = [result.interval(s.name, k) for k in kpis]
        rows.append([s.name, *(s.levels[f] for f in factors),
                     *(_fmt(c.mean, c.half_width) for c in cis)])
    return html_table(("scenario", *factors, *kpis), rows)


def _comparison_tables(result: ExperimentResult) -> list[str]:
    parts = []
    for kpi in result.experiment.spec.kpis:
        comps = result.comparisons(kpi)
        level = comps[0].difference.level if comps else 0.95
        parts.append(f"<h3>{html.escape(kpi)} ({'higher' if higher_is_better(kpi) else 'lower'}"
                     f" is better; differences at {level:.2%} each, Bonferroni)</h3>")
        parts.append(html_table(
            ("rank", "scenario", "mean ± 95 % half-width", "difference to base", "verdict",
             "worse than the best"),
            [(c.rank, c.scenario, _fmt(c.estimate.mean, c.estimate.half_width),
              _fmt(c.difference.mean, c.difference.half_width), c.verdict,
              "yes" if c.worse_than_best else "no") for c in comps],
        ))
    return parts


def _shown(result: ExperimentResult) -> list[str]:
    """The base, the best and the worst scenario by the objective (station figures)."""
    exp = result.experiment
    ranked = [c.scenario for c in result.comparisons(exp.spec.objective.kpi)]
    return list(dict.fromkeys([exp.base, ranked[0], ranked[-1]]))


def write_experiment_report(result: ExperimentResult, path: str | Path) -> Path:
    """Write the experiment's HTML report (figures embedded; no external resources)."""
    exp = result.experiment
    spec = exp.spec
    kpis = list(spec.kpis)
    parts = ["<h2>Experiment</h2>", *_header(result),
             "<h2>Results per scenario (mean ± 95 % half-width)</h2>", _scenario_table(result),
             "<h2>Comparison with the base (paired differences, common random numbers)</h2>",
             *_comparison_tables(result)]
    if exp.steps:
        parts.append("<h2>KPIs against each factor</h2>")
        parts += [figure_html(factor_figure(result, f, kpis), f"KPIs against {f}")
                  for f in exp.steps]
    names = _shown(result)
    ranked = [c.scenario for c in result.comparisons(spec.objective.kpi)]
    lines = list(dict.fromkeys([*names, *ranked]))[:MAX_LINES]
    parts += ["<h2>Throughput over time (mean of the replications)</h2>",
              figure_html(throughput_figure({s: result.mean_series(s) for s in lines},
                                            spec.run.step, exp.base_plant.takt,
                                            result.warmup.seconds), "throughput over time")]
    if result.warmup.method == "mser5":
        parts.append(figure_html(_warmup_figure(result), "MSER-5 warm-up"))
    parts.append("<h2>State shares per station</h2>")
    parts += [figure_html(state_shares_figure(result.mean_station_shares(s), f"Scenario {s}"),
                          f"state shares, {s}") for s in names]
    parts.append("<h2>Bottleneck shares</h2>")
    parts += [figure_html(bottleneck_figure(result.mean_bottlenecks(s), f"Scenario {s}"),
                          f"bottleneck shares, {s}") for s in names]
    out = Path(path)
    out.write_text(html_page(f"Experiment {spec.name}", parts), encoding="utf-8")
    return out
