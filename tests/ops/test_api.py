"""The REST API over real HTTP (uvicorn) on SQLite and on a real PostgreSQL server:
roles, orders, idempotency, paging, bad inputs of every kind, vehicles with their
genealogy, stations and commands, andon, audit, KPIs, plant, twin speed, the stream."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from taktline.ops.api import create_app
from taktline.ops.driver import FakeDriver
from taktline.plant.load import load_plant
from tests.ops.conftest import ADMIN, OPERATOR, VIEWER, PgCluster, auth, serving, settings_for

PLANT = load_plant("default")
API = "/api/v1"


class Api:
    """A running service on one database, with a fake plant the test drives."""

    def __init__(self, url: str, fake: FakeDriver) -> None:
        self.url = url
        self.fake = fake
        self.http = httpx.Client(base_url=url + API, timeout=30.0)

    def get(self, path: str, token: str = VIEWER, **kw: Any) -> httpx.Response:
        return self.http.get(path, headers=auth(token), **kw)

    def post(self, path: str, body: Any, token: str = OPERATOR, **kw: Any) -> httpx.Response:
        headers = {**auth(token), **kw.pop("headers", {})}
        return self.http.post(path, json=body, headers=headers, **kw)

    def settle(self) -> None:
        """Wait until the MES applied what the fake plant emitted."""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            status = self.get("/status").json()
            if status["inbox"] == 0:
                time.sleep(0.5)
                if self.get("/status").json()["inbox"] == 0:
                    return
            time.sleep(0.05)
        raise AssertionError("the MES did not catch up")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    if request.param == "sqlite":
        db = f"sqlite:///{Path(tmp_path_factory.mktemp('api')) / 'api.db'}"
    else:
        cluster: PgCluster = request.getfixturevalue("postgres")
        db = cluster.create_db()
    fake = FakeDriver(PLANT)
    app = create_app(settings_for(db, api={"max_body_bytes": 65536}), driver=fake)
    with serving(app) as url:
        client = Api(url, fake)
        yield client
        client.http.close()


def eventually(probe: Callable[[], Any], timeout: float = 20.0) -> Any:
    """The first truthy result of ``probe``, polled until ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        got = probe()
        if got or time.monotonic() > deadline:
            assert got, "timed out"
            return got
        time.sleep(0.05)


def _oid() -> str:
    return f"T-{uuid.uuid4().hex[:10]}"


# -- security ------------------------------------------------------------------------------
def test_tokens_and_roles(api: Api) -> None:
    r = api.http.get("/orders")
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert api.get("/orders", token="not-a-token-at-all-x").status_code == 401
    assert api.get("/orders", token=VIEWER).status_code == 200
    order = {"variant": "m5_bev", "colour": "white"}
    assert api.post("/orders", order, token=VIEWER).status_code == 403
    assert api.post("/stations/ub_10/commands", {"action": "stop"},
                    token=OPERATOR).status_code == 403
    assert api.http.put("/twin", json={"speed": 2}, headers=auth(OPERATOR)).status_code == 403
    assert api.http.get("/health").json() == {"status": "ok"}  # liveness needs no token
    r = api.http.get(api.url + "/openapi.json")
    assert r.status_code == 200 and "/api/v1/orders" in r.json()["paths"]
    assert api.http.get(api.url + "/docs").status_code == 200


# -- orders --------------------------------------------------------------------------------
def test_order_lifecycle_and_paging(api: Api) -> None:
    ids = [_oid() for _ in range(7)]
    r = api.post("/orders/batch", {"orders": [{"order_id": i, "variant": "m7_bev",
                                               "colour": "green", "options": ["awd"]}
                                              for i in ids]})
    assert r.status_code == 201 and [o["order_id"] for o in r.json()] == ids
    got = api.get(f"/orders/{ids[3]}").json()
    assert got["status"] == "accepted" and got["options"] == ["awd"] and got["queue_position"]
    page = api.get("/orders", params={"status": "accepted", "limit": 3, "offset": 2}).json()
    assert page["count"] >= 5 and len(page["items"]) == 3 and page["limit"] == 3
    assert [o["queue_position"] for o in page["items"]] == [3, 4, 5]
    green = api.get("/orders", params={"colour": "green", "variant": "m7_bev"}).json()
    assert {o["order_id"] for o in green["items"]} >= set(ids)
    assert all(o["colour"] == "green" for o in green["items"])
    r = api.post(f"/orders/{ids[-1]}/cancel", None)
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert api.post(f"/orders/{ids[-1]}/cancel", None).json()["status"] == "cancelled"
    released = eventually(lambda: api.get("/orders", params={"status": "released",
                                                             "limit": 1}).json()["items"])
    r = api.post(f"/orders/{released[0]['order_id']}/cancel", None)
    assert r.status_code == 409 and "released" in r.json()["detail"]
    assert api.get("/orders/NO-SUCH-ORDER").status_code == 404
    assert api.post("/orders", {"order_id": ids[0], "variant": "m5_bev",
                                "colour": "white"}).status_code == 409


def test_idempotency_key_never_creates_a_second_order(api: Api) -> None:
    key = uuid.uuid4().hex
    body = {"orders": [{"variant": "m5_erev", "colour": "grey"}] * 3}
    first = api.post("/orders/batch", body, headers={"Idempotency-Key": key})
    again = api.post("/orders/batch", body, headers={"Idempotency-Key": key})
    assert first.status_code == 201 and again.status_code == 200
    assert again.headers["idempotent-replayed"] == "true"
    assert [o["order_id"] for o in first.json()] == [o["order_id"] for o in again.json()]
    other = api.post("/orders/batch", {"orders": [{"variant": "m5_erev", "colour": "red"}]},
                     headers={"Idempotency-Key": key})
    assert other.status_code == 409
    # the same new key from eight clients at once: one order
    key = uuid.uuid4().hex
    results: list[httpx.Response] = []

    def post() -> None:
        with httpx.Client(base_url=api.url + API, timeout=30) as c:
            results.append(c.post("/orders", json={"variant": "m7_erev", "colour": "blue"},
                                  headers={**auth(OPERATOR), "Idempotency-Key": key}))

    threads = [threading.Thread(target=post) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.status_code for r in results) == [200] * 7 + [201], \
        [r.text for r in results]
    assert len({r.json()["order_id"] for r in results}) == 1


# -- bad input -----------------------------------------------------------------------------
@pytest.mark.parametrize(("body", "loc", "rule"), [
    ({"variant": "m9", "colour": "white"}, ["body", "variant"], "unknown variant 'm9'"),
    ({"variant": "m5_bev", "colour": "pink"}, ["body", "colour"], "unknown colour 'pink'"),
    ({"variant": "m5_bev", "colour": "white", "options": ["jetpack"]}, ["body", "options"],
     "unknown option 'jetpack'"),
    ({"variant": "m5_bev", "colour": "white", "options": ["hud", "hud"]}, ["body", "options"],
     "listed twice"),
    ({"variant": 5, "colour": "white"}, ["body", "variant"], "valid string"),
    ({"colour": "white"}, ["body", "variant"], "Field required"),
    ({"variant": "m5_bev", "colour": "white", "price": 1}, ["body", "price"],
     "Extra inputs are not permitted"),
    ({"variant": "m5_bev", "colour": "white", "order_id": "x" * 65}, ["body", "order_id"],
     "at most 64 characters"),
    ({"variant": "m5_bev", "colour": "white", "order_id": "a b"}, ["body", "order_id"],
     "should match pattern"),
    ({"variant": "m5_bev", "colour": "white", "options": "hud"}, ["body", "options"],
     "valid list"),
    ([], ["body"], "valid dictionary"),
])
def test_invalid_order_bodies_name_the_field_and_rule(api: Api, body: Any, loc: list[Any],
                                                      rule: str) -> None:
    r = api.post("/orders", body)
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert any(d["loc"] == loc and rule in d["msg"] for d in detail), detail


def test_invalid_requests_of_every_other_kind(api: Api) -> None:
    r = api.post("/orders/batch", {"orders": [{"variant": "m5_bev", "colour": "white"},
                                              {"variant": "m5_bev", "colour": "mauve"}]})
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "orders", 1, "colour"]
    assert api.post("/orders/batch", {"orders": []}).status_code == 422
    big = {"orders": [{"variant": "m5_bev", "colour": "white"}] * 1001}
    assert api.post("/orders/batch", big).status_code in (413, 422)
    r = api.http.post("/orders", content=b'{"variant": ', headers={
        **auth(OPERATOR), "content-type": "application/json"})
    assert r.status_code == 422 and r.json()["detail"][0]["type"] == "json_invalid"
    r = api.http.post("/orders", content=b"x" * 70000, headers={
        **auth(OPERATOR), "content-type": "application/json"})
    assert r.status_code == 413
    for params in ({"limit": 501}, {"limit": 0}, {"offset": -1}, {"status": "lost"}):
        r = api.get("/orders", params=params)
        assert r.status_code == 422, params
        assert r.json()["detail"][0]["loc"][0] == "query"
    assert api.post("/orders", {"variant": "m5_bev", "colour": "white"},
                    headers={"Idempotency-Key": "bad key"}).status_code == 422
    assert api.get("/vehicles/not-a-vin").status_code == 422
    assert api.get("/vehicles/LTKM5BEV7TC999999").status_code == 404
    assert api.post("/stations/ub_10/commands", {"action": "explode"},
                    token=ADMIN).status_code == 422
    assert api.post("/stations/nowhere/commands", {"action": "stop"},
                    token=ADMIN).status_code == 404
    r = api.http.put("/twin", json={"speed": 1e6}, headers=auth(ADMIN))
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "speed"]
    assert api.get("/kpis", params={"window_h": 0}).status_code == 422
    assert api.get("/events", params={"kinds": "DROP TABLE"}).status_code == 422


# -- the plant's side ----------------------------------------------------------------------
def test_vehicles_with_genealogy(api: Api) -> None:
    api.post("/orders", {"order_id": _oid(), "variant": "m5_bev", "colour": "black"})
    eventually(lambda: api.fake.released)
    vin, order = api.fake.released[-1]  # the newest vehicle at the line entry
    oid = order.order_id
    api.fake.emit("released", vin=vin)
    api.fake.emit("started", "marriage", vin)
    api.fake.emit("part", "marriage", vin, part="battery_pack", serial="BATTERY_PACK-1")
    api.fake.emit("finished", "marriage", vin, start=0.0, good=True,
                  robots=["marriage.handling.1", "marriage.screwing.2"])
    api.settle()
    v = api.get(f"/vehicles/{vin}").json()
    assert v["order_id"] == oid and v["state"] == "in_process"
    assert v["location"] == "after marriage"
    assert v["history"][0]["station"] == "marriage"
    assert v["history"][0]["robots"] == ["marriage.handling.1", "marriage.screwing.2"]
    assert v["parts"] == [{"station": "marriage", "part": "battery_pack",
                           "serial": "BATTERY_PACK-1", "lot": None, "t": v["parts"][0]["t"]}]
    assert [e["kind"] for e in v["events"]][:2] == ["mes.release", "released"]
    page = api.get("/vehicles", params={"state": "in_process", "limit": 500}).json()
    assert vin in [x["vin"] for x in page["items"]]
    assert api.get("/orders/" + oid).json()["vin"] == vin


def test_stations_commands_andon_audit(api: Api) -> None:
    stations = api.get("/stations").json()
    assert stations["count"] == len(PLANT.stations)
    assert stations["items"][1]["id"] == "press_b"
    r = api.post("/stations/ub_20/commands", {"action": "stop"}, token=ADMIN)
    assert r.status_code == 202 and r.json()["state"] == "stopped"
    assert api.fake.commands[-1] == ("ub_20", "stop")
    api.post("/stations/ub_20/commands", {"action": "start"}, token=ADMIN)
    api.fake.emit("down", "ub_40", cause="weld_fault", planned=False)
    api.settle()
    andon = api.get("/andon", params={"open": True, "station": "ub_40"}).json()
    assert andon["count"] >= 1 and andon["items"][0]["cause"] == "weld_fault"
    audit = api.get("/audit", params={"action": "command"}).json()["items"]
    assert {a["reason"] for a in audit} >= {"api:admin: stop ub_20", "api:admin: start ub_20"}
    assert all(a["actor"] == "api:admin" for a in audit)
    assert api.get("/audit", params={"action": "start"}).json()["count"] >= 1


def test_kpis_plant_twin_events(api: Api) -> None:
    k = api.get("/kpis", params={"window_h": 1}).json()
    assert set(k["oee_shops"]) == {s.id for s in PLANT.shops} and k["takt_s"] == 120
    p = api.get("/plant").json()
    assert p["name"] == PLANT.name and len(p["stations"]) == len(PLANT.stations)
    assert p["stations"][2]["robot_ids"][0] == "ub_10.spot_welding.1"
    r = api.http.put("/twin", json={"speed": 5}, headers=auth(ADMIN))
    assert r.status_code == 200 and r.json()["speed"] == 5
    events = api.get("/events", params={"after": 0, "limit": 5}).json()
    assert [e["id"] for e in events] == sorted(e["id"] for e in events)
    assert events[0]["kind"] == "mes.decision"


def test_live_stream(api: Api) -> None:
    ws_url = api.url.replace("http", "ws") + API + "/stream"
    with pytest.raises(InvalidStatus), connect(ws_url + "?token=wrong-token-wrong-token"):
        pass
    first = api.get("/events", params={"after": 0, "limit": 1}).json()[0]["id"]
    with connect(f"{ws_url}?after=0&kinds=mes.decision,down",
                 additional_headers=auth(VIEWER)) as ws:
        replayed = json.loads(ws.recv(timeout=10))
        assert replayed["id"] == first and replayed["kind"] == "mes.decision"
        api.fake.emit("down", "fa_10", cause="cell_fault", planned=False)
        for _ in range(200):
            m = json.loads(ws.recv(timeout=10))
            if m["kind"] == "down" and m["station"] == "fa_10":
                break
        else:
            raise AssertionError("the live down event did not come")
        assert m["data"]["cause"] == "cell_fault"
