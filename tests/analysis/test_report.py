"""The run report: figures rendered, embedded, decoded again and checked pixel by pixel."""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path

import numpy as np
import pytest
from matplotlib.colors import to_rgb
from PIL import Image

from taktline import Simulation, simulate
from taktline.analysis.report import (
    STATE_COLOURS,
    throughput_series,
    wip_series,
    write_run_report,
)


def images(html: str) -> dict[str, np.ndarray]:
    """Every embedded PNG of a report by its alt text, as an RGB array."""
    found = re.findall(r'<img alt="([^"]+)" src="data:image/png;base64,([^"]+)">', html)
    return {alt: np.asarray(Image.open(io.BytesIO(base64.b64decode(data))).convert("RGB"))
            for alt, data in found}


def share_of_colour(img: np.ndarray, colour: str, tol: int = 2) -> float:
    """Share of the picture's pixels painted in ``colour`` (each channel within ``tol``)."""
    rgb = np.round(np.array(to_rgb(colour)) * 255).astype(int)
    return float(np.all(np.abs(img.astype(int) - rgb) <= tol, axis=-1).mean())


@pytest.fixture(scope="module")
def sim() -> Simulation:
    return simulate("five_station_agv", days=1, warmup_hours=2, seed=4)


def test_series_agree_with_the_kpis(sim: Simulation) -> None:
    """Hourly throughput from dispatch records adds up to the vehicles completed in the
    window; the hourly WIP averages to the KPI's time-average WIP (docs/kpis.md)."""
    tp, wip = throughput_series(sim.run), wip_series(sim.run)
    assert len(tp) == len(wip) == 26  # 2 h warm-up + 24 h
    assert tp[2:].sum() == sim.kpis.flow.vehicles_completed
    assert wip[2:].mean() == pytest.approx(sim.kpis.flow.wip_mean, rel=1e-9)


def test_run_report_pictures_read_back(sim: Simulation, tmp_path: Path) -> None:
    path = write_run_report(sim, tmp_path / "run.html")
    html = path.read_text(encoding="utf-8")
    assert "http://" not in html and "https://" not in html and "<script" not in html
    assert f"{sim.kpis.flow.vehicles_completed:,}" in html or str(
        sim.kpis.flow.vehicles_completed) in html
    imgs = images(html)
    assert set(imgs) == {"throughput over time", "state shares per station",
                         "bottleneck shares"}
    shares = imgs["state shares per station"]
    assert shares.shape[1] == 900  # 9 in at 100 dpi
    # the five stations mostly work: green is the largest coloured area, and the
    # paint purge (setup) shows, but far less than working
    working = share_of_colour(shares, STATE_COLOURS["working"])
    setup = share_of_colour(shares, STATE_COLOURS["setup"])
    assert working > 0.25 and 0 < setup < working / 5
    # no maintenance: grey only in the legend's patch, the size of the failed one
    assert share_of_colour(shares, STATE_COLOURS["planned"]) < 0.002
    tp = imgs["throughput over time"]
    assert tp.shape[:2] == (360, 900)
    assert share_of_colour(tp, "#dddddd") > 0.01  # the warm-up band
    # the throughput line (matplotlib's first colour; antialiased, so a looser match)
    assert share_of_colour(tp, "#1f77b4", tol=40) > 0.001
    assert share_of_colour(imgs["bottleneck shares"], "#8c2d04") > 0.01  # sole share bars


def test_state_figure_bar_lengths_follow_the_shares(tmp_path: Path) -> None:
    """A single station working 75 % and starved 25 %: the green bar is three times as
    long as the blue one, measured on the rendered picture."""
    from taktline.analysis.report import figure_html, state_shares_figure

    fig = state_shares_figure({"s1": {"working": 0.75, "starved": 0.25}}, "one station")
    img = next(iter(images(figure_html(fig, "x")).values())).astype(int)

    def mask(colour: str) -> np.ndarray:
        rgb = np.round(np.array(to_rgb(colour)) * 255)
        return np.all(np.abs(img - rgb) <= 2, axis=-1)

    row = int(np.argmax(mask(STATE_COLOURS["working"]).sum(axis=1)))  # through the bar
    green = mask(STATE_COLOURS["working"])[row].sum()
    blue = mask(STATE_COLOURS["starved"])[row].sum()
    assert blue > 50
    assert green / blue == pytest.approx(3.0, rel=0.03)
