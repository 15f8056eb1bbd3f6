"""A plant that brings its own map: the example of docs/dashboard.md, served for real,
is drawn where its ``layout`` section puts it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import ROOT, Service, finish, open_page, serve, sign_in
from tests.ops.conftest import VIEWER


@pytest.fixture(scope="module")
def drawn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    text = (ROOT / "docs" / "dashboard.md").read_text(encoding="utf-8")
    block = next(b for b in re.findall(r"```yaml\n(name:.*?)```", text, re.S)
                 if "\nlayout:" in b)
    work = tmp_path_factory.mktemp("drawn")
    plant = Path(work) / "drawn.yaml"
    plant.write_text(block, encoding="utf-8")
    with serve(work, str(plant), orders=20) as svc:
        yield svc


def centre(page: Page, selector: str) -> tuple[float, float]:
    box = page.locator(selector).bounding_box()
    assert box is not None, selector
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def test_the_plants_layout_places_the_map(chromium: Browser, drawn: Service) -> None:
    page, watch = open_page(chromium)
    sign_in(page, drawn.url, VIEWER)
    assert drawn.get("/dashboard/map")["source"] == "plant"
    expect(page.locator("#map .station")).to_have_count(2)
    w1 = centre(page, '#map .station[data-id="weld_1"] rect')
    w2 = centre(page, '#map .station[data-id="weld_2"] rect')
    b1 = centre(page, '#map .buffer[data-id="b1"] rect.gauge')
    # layout: weld_1 (0, 0), weld_2 (12, 0), b1 (6, 1.5): same row, b1 halfway and below
    assert w2[0] > w1[0] and abs(w2[1] - w1[1]) < 1
    assert abs(b1[0] - (w1[0] + w2[0]) / 2) < 2 and b1[1] > w1[1]
    expect(page.locator("#agv text.empty")).to_have_text("no AGV fleet in this plant")
    expect(page.locator("#t-oee")).not_to_have_text("–", timeout=15_000)
    finish(page, watch, drawn, "test_the_plants_layout_places_the_map")
