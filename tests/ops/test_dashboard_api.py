"""The dashboard's server side: the plant map layout (deterministic, complete, no
overlaps, flow left to right, the plant's own layout when it gives one), the page and
its assets, and the /dashboard routes over real HTTP with a fake plant, on SQLite and
on a real PostgreSQL server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from taktline.ops.api import create_app
from taktline.ops.driver import FakeDriver
from taktline.ops.web.layout import plant_map
from taktline.plant import parse_plant
from taktline.plant.load import load_plant
from taktline.plant.schema import Point
from tests.ops.conftest import ADMIN, OPERATOR, VIEWER, auth, serving, settings_for
from tests.ops.test_api import eventually

PLANTS = ["default", "five_station_agv", "two_station", "single_station"]


@pytest.mark.parametrize("name", PLANTS)
def test_automatic_layout_is_complete_deterministic_and_flows_left_to_right(name: str) -> None:
    plant = load_plant(name)
    m = plant_map(plant)
    assert m.source == "automatic"
    assert m == plant_map(load_plant(name))
    assert set(m.stations) == {s.id for s in plant.stations}
    linked = {a for a, _, _ in m.links} | {b for _, b, _ in m.links}
    assert {b.id for b in plant.buffers if b.id in linked} <= set(m.buffers)
    spots = list(m.stations.values())
    assert len(set(spots)) == len(spots)  # no two stations on one spot
    for st in plant.stations:  # each station inside its shop's rectangle
        x, y = m.stations[st.id]
        sx, sy, sw, sh = m.shops[st.shop]
        assert sx < x < sx + sw and sy < y < sy + sh
    rects = list(m.shops.values())
    for i, (ax, ay, aw, ah) in enumerate(rects):
        for bx, by, bw, bh in rects[i + 1:]:
            assert ax + aw <= bx or bx + bw <= ax or ay + ah <= by or by + bh <= ay
    for st in plant.stations:  # within a shop, work flows to the right
        for o in st.outputs:
            for nxt in plant.stations:
                if nxt.shop == st.shop and any(i.buffer == o.buffer for i in nxt.inputs):
                    assert m.stations[nxt.id][0] > m.stations[st.id][0], (st.id, nxt.id)


LOOP = """
name: loop
takt: 120
shops: [{id: body}]
products:
  variants: [{id: suv, share: 1}]
  colours: [{id: white, share: 1}]
sources: [{kind: vehicles, id: release, to: b0}]
buffers:
  - {id: b0, capacity: 2}
  - {id: b1, capacity: 2}
  - {id: q, capacity: 4}
  - {id: b2, capacity: 2}
stations:
  - {id: weld, shop: body, cycle: 100, inputs: [b0], outputs: [b1]}
  - {id: check, shop: body, cycle: 60, inputs: [b1], outputs: [b2],
     quality: {first_pass_yield: 0.9, reject_to: q}}
  - {id: repair, shop: body, cycle: 300, inputs: [q], outputs: [b1]}
sinks: [{id: dispatch, from: b2}]
"""


def test_a_rework_loop_is_cut_where_it_turns_back() -> None:
    plant = parse_plant(LOOP, filename="loop.yaml")
    m = plant_map(plant)
    x = {k: v[0] for k, v in m.stations.items()}
    assert x["weld"] < x["check"] < x["repair"]  # the loop back to b1 does not reorder
    assert len(set(m.stations.values())) == 3 and set(m.buffers) == {"b0", "b1", "q", "b2"}
    assert ("check", "q", "reject") in m.links


def test_the_plants_own_layout_wins_when_it_places_every_station() -> None:
    plant = load_plant("two_station")
    points = {s.id: Point(x=10.0 * k, y=5.0) for k, s in enumerate(plant.stations)}
    m = plant_map(plant.model_copy(update={"layout": points}))
    assert m.source == "plant"
    assert m.stations == {k: (p.x * 0.15, p.y * 0.15) for k, p in points.items()}  # 10 m apart
    first = plant.stations[0].id
    partial = plant.model_copy(update={"layout": {first: points[first]}})
    assert plant_map(partial).source == "automatic"  # not every station: automatic


class Api:
    def __init__(self, url: str, fake: FakeDriver) -> None:
        self.url, self.fake = url, fake

    def get(self, path: str, token: str | None = VIEWER, **params: Any) -> httpx.Response:
        headers = auth(token) if token else {}
        return httpx.get(self.url + path, headers=headers, params=params, timeout=30)

    def json(self, path: str, **params: Any) -> Any:
        r = self.get("/api/v1" + path, **params)
        assert r.status_code == 200, r.text
        return r.json()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
        ) -> Iterator[Api]:
    if request.param == "sqlite":
        db = f"sqlite:///{Path(tmp_path_factory.mktemp('dash')) / 'dash.db'}"
    else:
        db = request.getfixturevalue("postgres").create_db()
    fake = FakeDriver(load_plant("default"))
    with serving(create_app(settings_for(db), driver=fake)) as url:
        yield Api(url, fake)


def test_page_and_assets_come_from_the_service(api: Api) -> None:
    page = api.get("/", token=None)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert 'src="/ui/js/main.js"' in page.text and "http" not in page.text.split("<body>")[0]
    js = api.get("/ui/js/main.js", token=None)
    assert js.status_code == 200 and "javascript" in js.headers["content-type"]
    for bad in ("/ui/js/nope.js", "/ui/../__init__.py", "/ui/%2e%2e/__init__.py",
                "/ui/layout.py"):
        assert api.get(bad, token=None).status_code == 404, bad
    assert "/" not in api.get("/openapi.json", token=None).json()["paths"]


def test_session_says_the_role(api: Api) -> None:
    assert api.json("/dashboard/session") == {"role": "viewer"}
    r = api.get("/api/v1/dashboard/session", token=ADMIN)
    assert r.json() == {"role": "admin"}
    assert api.get("/api/v1/dashboard/session", token=None).status_code == 401


def test_live_tiles_series_and_orders_follow_the_plant(api: Api) -> None:
    plant = api.fake.plant
    body = {"orders": [{"order_id": f"D-{k}", "variant": "m5_bev", "colour": "white",
                        "options": []} for k in range(4)]}
    r = httpx.post(api.url + "/api/v1/orders/batch", json=body, headers=auth(OPERATOR),
                   timeout=30)
    assert r.status_code == 201, r.text
    eventually(lambda: len(api.fake.released) >= 2)
    (vin_a, _), (vin_b, _) = api.fake.released[:2]
    api.fake.emit("released", vin=vin_a, time=100.0)
    api.fake.emit("released", vin=vin_b, time=220.0)
    api.fake.emit("started", "ub_10", vin_b, time=230.0)
    api.fake.emit("finished", "ub_10", vin_b, time=350.0, start=230.0, good=True)
    api.fake.emit("dispatched", vin=vin_a, time=3700.0, good=True, sink="dispatch")
    api.fake.emit("state", "ub_20", state="failed", previous="starved", time=3800.0)
    done = eventually(lambda: [o for o in api.json("/dashboard/orders")["items"]
                               if o["vin"] == vin_a and o["status"] == "completed"])
    assert done[0]["progress"] == 1.0
    lines = {o["vin"]: o for o in api.json("/dashboard/orders")["items"]}
    assert 0.0 < lines[vin_b]["progress"] < 1.0  # after ub_10: on its way
    waiting = [o for o in lines.values() if o["status"] == "accepted"]
    assert all(o["progress"] == 0.0 for o in waiting)
    found = api.json("/dashboard/orders", q=vin_b[-5:].lower())["items"]
    assert [o["vin"] for o in found] == [vin_b]
    assert api.json("/dashboard/orders", q="D-", status="completed")["count"] == 1

    summary = api.json("/dashboard/summary")
    assert summary["vehicles_today"] == 1 and summary["plan_day"] == 720
    assert summary["plan_so_far"] == int(summary["t"] // 120)
    assert summary["wip"] == 3  # released and not completed (the MES released a third)
    series = api.json("/dashboard/series", bins=10)
    assert sum(b["vehicles"] for b in series["throughput"]) == 1
    assert series["lead_time"]["n"] == 1
    assert series["lead_time"]["mean_s"] == pytest.approx(3700.0 - 100.0, abs=1.0)
    assert len(series["stations"]) == len(plant.stations)

    live = api.json("/dashboard/live")
    assert set(live["buffers"]) == {b.id for b in plant.buffers}
    assert {s["id"]: s["state"] for s in live["stations"]}["ub_20"] == "failed"
    assert live["last_event_id"] > 0
    m = api.json("/dashboard/map")
    assert len(m["stations"]) == len(plant.stations) and m["source"] == "automatic"
    assert [f["id"] for f in m["fleets"]] == [f.id for f in plant.fleets]
