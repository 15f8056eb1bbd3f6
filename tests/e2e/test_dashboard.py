"""The dashboard in Chromium against a real ``taktline serve`` (see conftest.py): tiles,
live KPIs, the map and andon board reacting to a station stop, the genealogy from the
orders table, what a viewer sees, the stream dropping and resuming, AGVs, tablet width.
Every test fails on a console error and saves a screenshot in test-output/e2e/."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
from playwright.sync_api import Page, WebSocketRoute, expect

from taktline.ops.store.db import Store
from taktline.ops.store.models import EventRow
from tests.e2e.conftest import SHOTS, SPEED, Service, Watch, finish, open_page, sign_in
from tests.ops.conftest import ADMIN, VIEWER

TILES = ("t-today", "t-jph", "t-takt", "t-oee", "t-wip", "t-bn")


def wait_for(check: Callable[[], Any], timeout: float = 30.0, every: float = 0.25,
             page: Page | None = None) -> Any:
    """Poll ``check`` until it is truthy; with ``page``, wait in Playwright's own loop so
    that its event handlers (the WebSocket proxy) run meanwhile."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, "timed out"
        if page is not None:
            page.wait_for_timeout(every * 1000)
        else:
            time.sleep(every)


def tiles(page: Page) -> dict[str, str]:
    return {t: page.locator(f"#{t}").inner_text() for t in TILES}


def test_page_loads_with_all_tiles_filled(dash: tuple[Page, Watch], service: Service) -> None:
    page, _ = dash
    sign_in(page, service.url, ADMIN)
    plant = service.get("/plant")
    wait_for(lambda: all(v not in ("", "–") for v in tiles(page).values()))
    shown = tiles(page)
    assert re.fullmatch(r"\d+ / \d+", shown["t-today"]), shown
    assert re.fullmatch(r"\d+(\.\d+)? %", shown["t-oee"]), shown
    assert page.locator("#plant-name").inner_text() == plant["name"]
    # every station and buffer of the plant is on the map, each station with a state
    expect(page.locator("#map .station")).to_have_count(len(plant["stations"]))
    expect(page.locator("#map .buffer")).to_have_count(len(plant["buffers"]))
    states = page.locator("#map .station").evaluate_all(
        "els => els.map(e => e.dataset.state)")
    assert set(states) <= {"working", "blocked", "starved", "failed", "setup", "planned",
                           "stopped"}
    assert page.locator("#t-oee-shops .shopbar").count() == len(plant["shops"])
    # every buffer shows its level; the panel stores start half full and their gauges say so
    levels = page.locator("#map .buffer").evaluate_all(
        "els => Object.fromEntries(els.map(e => [e.dataset.id, e.dataset.level]))")
    assert all(v is not None for v in levels.values()), levels
    store = page.locator('#map .buffer[data-id="store_roof"]')
    assert int(store.get_attribute("data-level") or 0) > 0
    assert float(store.locator(".gauge-level").get_attribute("height") or 0) > 0
    # the charts are drawn from the live series
    wait_for(lambda: page.locator("#c-tp rect.bar").count() > 0)
    assert page.locator("#c-states .stack").count() == len(plant["stations"])
    assert page.locator("#legend .lg").count() >= 7
    # the page is readable: the map fills its card at 1920x1080
    box = page.locator("#map").bounding_box()
    assert box is not None and box["width"] > 1000 and box["height"] > 450
    wait_for(lambda: page.locator("#c-bn rect.bar").count() > 0, timeout=60)


def test_kpis_change_as_the_twin_runs(dash: tuple[Page, Watch], service: Service) -> None:
    page, _ = dash
    sign_in(page, service.url, VIEWER)
    wait_for(lambda: all(v not in ("", "–") for v in tiles(page).values()))
    first, clock = tiles(page), page.locator("#clock").inner_text()
    changed = wait_for(lambda: {k for k, v in tiles(page).items() if v != first[k]},
                       timeout=40)
    assert changed, first
    assert page.locator("#clock").inner_text() != clock
    # what the tiles show is what the API says (same analysis code)
    summary = service.get("/dashboard/summary")
    assert summary["wip"] >= 0 and summary["plan_day"] == 720


def test_stopped_station_turns_fault_colour_and_is_on_the_andon_board(
        dash: tuple[Page, Watch], service: Service) -> None:
    page, _ = dash
    sign_in(page, service.url, VIEWER)
    station = "ub_30"
    box = page.locator(f'#map .station[data-id="{station}"]')
    expect(box).not_to_have_attribute("data-state", "stopped")
    service.post(f"/stations/{station}/commands", {"action": "stop"})
    try:
        expect(box).to_have_attribute("data-state", "stopped", timeout=15_000)
        colour = page.locator('#legend .lg[data-state="stopped"] .sw').evaluate(
            "e => getComputedStyle(e).backgroundColor")
        fill = box.locator("rect.box").evaluate("e => getComputedStyle(e).fill")
        assert fill == colour, (fill, colour)
        item = page.locator(f'#andon li[data-station="{station}"]')
        expect(item).to_be_visible(timeout=15_000)
        expect(item).to_contain_text("stopped")
        expect(item).to_contain_text("admin")
        expect(page.locator("#andon-count")).not_to_have_text("0")
        page.wait_for_timeout(300)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "station_stopped.png"))
    finally:
        service.post(f"/stations/{station}/commands", {"action": "start"})
    expect(box).not_to_have_attribute("data-state", "stopped", timeout=15_000)
    expect(page.locator(f'#andon li[data-station="{station}"]')).to_have_count(0,
                                                                                 timeout=15_000)


def test_vehicle_genealogy_opens_from_the_orders_table(dash: tuple[Page, Watch],
                                                      service: Service) -> None:
    page, _ = dash
    sign_in(page, service.url, VIEWER)

    def completed() -> dict[str, Any] | None:
        """A dispatched vehicle with a battery from the supplier feed (the first few take
        the packs that were in stock when the plant started, which have no serial)."""
        for v in service.get("/vehicles", state="completed", limit=20)["items"]:
            d = service.get(f"/vehicles/{v['vin']}")
            if any(p["part"] == "battery_pack" for p in d["parts"]):
                return d
        return None

    vehicle = wait_for(completed, timeout=60, every=1.0)
    battery = next(p["serial"] for p in vehicle["parts"] if p["part"] == "battery_pack")
    # search finds the order by a part of its VIN; its row opens the genealogy
    page.fill("#o-q", vehicle["vin"][-6:])
    row = page.locator(f'#orders tr[data-order="{vehicle["order_id"]}"]')
    expect(row).to_be_visible(timeout=10_000)
    expect(page.locator("#orders tbody tr")).to_have_count(1)
    row.locator("button.vin").click()
    dialog = page.locator("dialog#vehicle")
    expect(dialog).to_be_visible()
    expect(page.locator("#v-title")).to_contain_text(vehicle["vin"])
    steps = page.locator("#v-timeline .step")
    assert steps.count() >= len(vehicle["history"])
    first = vehicle["history"][0]
    expect(steps.first).to_have_attribute("data-station", first["station"])
    expect(steps.first.locator(".s-r")).to_contain_text(first["robots"][0])
    facts = page.locator("#v-facts")
    expect(facts).to_contain_text(vehicle["variant"])
    expect(facts).to_contain_text(battery)
    expect(facts).to_contain_text(vehicle["eol_result"])
    expect(page.locator("#v-parts tbody tr")).to_have_count(len(vehicle["parts"]))
    # the vehicle page has its own address: reloading it opens the same vehicle
    assert page.url.endswith(f"#vehicle={vehicle['vin']}")
    page.reload()
    expect(page.locator("dialog#vehicle")).to_be_visible(timeout=15_000)
    expect(page.locator("#v-title")).to_contain_text(vehicle["vin"])
    page.locator("#v-close").click()
    expect(dialog).to_be_hidden()
    expect(page).not_to_have_url(re.compile("#vehicle"))


def test_viewer_sees_no_controls(dash: tuple[Page, Watch], service: Service) -> None:
    page, _ = dash
    sign_in(page, service.url, VIEWER)
    expect(page.locator("#role")).to_have_text("viewer")
    page.locator('#map .station[data-id="framing"]').click()
    pop = page.locator("#station-pop")
    expect(pop).to_be_visible()
    expect(pop).to_contain_text("robots")
    assert page.locator("#speed-input, #speed-set, .station-controls, "
                        "button[data-action]").count() == 0
    assert page.locator("button").filter(has_text=re.compile("stop|start", re.I)).count() == 0


def test_admin_controls_stop_start_and_speed(dash: tuple[Page, Watch],
                                             service: Service) -> None:
    page, _ = dash
    sign_in(page, service.url, ADMIN)
    page.locator('#map .station[data-id="ub_40"]').click()
    page.locator('#station-pop button[data-action="stop"]').click()
    box = page.locator('#map .station[data-id="ub_40"]')
    expect(box).to_have_attribute("data-state", "stopped", timeout=15_000)
    wait_for(lambda: service.get("/stations/ub_40")["state"] == "stopped", timeout=10)
    page.locator('#station-pop button[data-action="start"]').click()
    expect(box).not_to_have_attribute("data-state", "stopped", timeout=15_000)
    page.fill("#speed-input", "1500")
    page.click("#speed-set")
    wait_for(lambda: service.get("/twin")["speed"] == 1500.0, timeout=10)
    expect(page.locator("#speed")).to_have_text(re.compile("1,500"))
    page.fill("#speed-input", str(SPEED))
    page.click("#speed-set")
    wait_for(lambda: service.get("/twin")["speed"] == SPEED, timeout=10)
    audit = service.get("/audit", action="speed")["items"]
    assert audit and audit[0]["actor"] == "api:admin"


def test_stream_drop_and_resume(chromium: Any, service: Service) -> None:
    """The socket is cut under the page (as a network drop would): the page reconnects
    with ?after=<the last id it got> and goes on without losing or repeating events."""
    page, watch = open_page(chromium)
    urls: list[str] = []
    forwarded: list[list[int]] = []
    routes: list[WebSocketRoute] = []

    def proxy(ws: WebSocketRoute) -> None:
        urls.append(ws.url)
        ids: list[int] = []
        forwarded.append(ids)
        routes.append(ws)
        server = ws.connect_to_server()

        def to_page(message: str | bytes) -> None:
            m = re.search(r'"id":\s*(\d+)', message if isinstance(message, str) else "")
            if m and '"heartbeat"' not in str(message):
                ids.append(int(m.group(1)))
            ws.send(message)

        server.on_message(to_page)

    page.route_web_socket(re.compile(r".*/api/v1/stream.*"), proxy)
    sign_in(page, service.url, VIEWER)
    expect(page.locator("#conn")).to_have_attribute("data-state", "live", timeout=15_000)
    wait_for(lambda: len(forwarded[0]) > 5, page=page)
    routes[0].close(code=4000, reason="network drop (test)")
    expect(page.locator("#conn")).not_to_have_attribute("data-state", "live", timeout=5_000)
    expect(page.locator("#conn")).to_have_attribute("data-state", "live", timeout=15_000)
    wait_for(lambda: len(urls) >= 2 and len(forwarded[1]) > 0, timeout=30, page=page)
    after = int(parse_qs(urlparse(urls[1]).query)["after"][0])
    assert page.evaluate("() => window.taktline.stream.connects") >= 2
    # the page asked for what came after the last event it had received (messages still
    # in flight when the socket was cut never reached it) ...
    assert after in forwarded[0]
    # ... and the service replayed from there: the next event of those kinds, no gap
    kinds = parse_qs(urlparse(urls[1]).query)["kinds"][0]
    nxt = service.get("/events", after=after, kinds=kinds, limit=1)
    assert forwarded[1][0] == nxt[0]["id"]
    assert forwarded[1] == sorted(set(forwarded[1]))
    wait_for(lambda: page.evaluate("() => window.taktline.stream.last") > max(forwarded[0]),
             page=page)
    finish(page, watch, service, "test_stream_drop_and_resume")


def test_agv_fleet(dash: tuple[Page, Watch], service: Service) -> None:
    """The fleet's path network is drawn; AGVs from the service's fleet API and "agv"
    events are drawn on it when the service has them (issue 6)."""
    page, _ = dash
    sign_in(page, service.url, VIEWER)
    m = service.get("/dashboard/map")
    nodes = sum(len(f["nodes"]) for f in m["fleets"])
    expect(page.locator("#agv .agv-node")).to_have_count(nodes)
    expect(page.locator("#agv .agv-edge")).to_have_count(sum(len(f["edges"])
                                                             for f in m["fleets"]))
    paths = httpx.get(service.url + "/openapi.json", timeout=10).json()["paths"]
    reported = {a["agv"] for f in service.get("/fleet")["fleets"] for a in f["agvs"]} \
        if "/api/v1/fleet" in paths else set()
    size = sum(f["size"] for f in m["fleets"])
    if reported:  # the fleet manager's AGVs (issue 6), and one of them on its way
        wait_for(lambda: reported <= set(page.locator("#agv .agv").evaluate_all(
            "els => els.map(e => e.dataset.agv)")), timeout=20)
        moving = page.locator('#agv .agv:not([data-state="idle"]):not([data-state="charging"])')
        expect(moving.first).to_be_attached(timeout=30_000)
    # the fleet manager's reports, or else the plant driver's snapshot, place every AGV
    wait_for(lambda: 0 < page.locator("#agv .agv").count() <= size, timeout=20)
    page.wait_for_timeout(400)
    assert page.locator("#agv .agv").count() <= size
    where = page.locator("#agv .agv").evaluate_all(
        "els => els.map(e => e.getAttribute('transform'))")
    assert all(w and w.startswith("translate(") for w in where), where
    assert len(set(where)) == len(where)  # AGVs on one node are drawn side by side
    # (and the screenshot of this test, late in the run, shows everything filled)
    wait_for(lambda: all(v not in ("", "–") for v in tiles(page).values()))
    wait_for(lambda: page.locator("#c-tp rect.bar").count() > 0)
    page.wait_for_timeout(500)


def test_agv_events_move_an_agv_along_its_path(dash: tuple[Page, Watch],
                                               service: Service) -> None:
    """An ``agv`` event of the shape the fleet manager logs (agv_contract.md section 3),
    put into the service's event log as the fleet manager would: the stream carries it
    and the page moves that AGV from its position towards the next node until ``eta_t``.
    """
    page, _ = dash
    sign_in(page, service.url, VIEWER)
    expect(page.locator("#agv .agv")).not_to_have_count(0, timeout=10_000)
    nodes = {n["id"]: n for f in service.get("/dashboard/map")["fleets"] for n in f["nodes"]}
    a, b = nodes["j1"], nodes["t_out"]
    now = service.get("/twin")["plant_time_s"]
    data = {"fleet": "agv", "agv": "7", "state": "driving", "node": "j1", "next": "t_out",
            "x": a["x"], "y": a["y"], "eta_t": now + 60 * SPEED, "battery": 81.0,
            "order": "order-e2e-1"}
    store = Store.open(service.db, upgrade=False)
    try:
        with store.tx() as s:
            s.add(EventRow(t=now, at=datetime.now(UTC), kind="agv", station=None,
                           vin=None, data=data))
    finally:
        store.close()
    agv = page.locator('#agv .agv[data-agv="7"]')
    expect(agv).to_have_attribute("data-state", "driving", timeout=15_000)
    expect(agv.locator("title")).to_contain_text("81 %")

    def x_of() -> float:
        m = re.match(r"translate\(([-\d.]+) ([-\d.]+)\)", agv.get_attribute("transform") or "")
        assert m, agv.get_attribute("transform")
        return float(m.group(1))

    first = wait_for(lambda: (x := x_of()) > a["x"] and x, page=page)
    page.wait_for_timeout(1500)
    second = x_of()
    assert a["x"] < first < second < b["x"], (first, second)  # on its way, moving


def test_tablet_width(chromium: Any, service: Service) -> None:
    page, watch = open_page(chromium, 820, 1180)
    sign_in(page, service.url, VIEWER)
    wait_for(lambda: all(v not in ("", "–") for v in tiles(page).values()))
    # nothing sticks out of the page sideways; the map scrolls inside its card instead
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 820
    for t in TILES:
        box = page.locator(f"#{t}").bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 820
    finish(page, watch, service, "test_tablet_width")
