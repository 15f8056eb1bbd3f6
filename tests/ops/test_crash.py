"""A real ``taktline serve`` process killed with SIGKILL mid-run and started again, on
SQLite and on PostgreSQL: no accepted order lost or duplicated, no vehicle lost or
duplicated, the event log consistent, and the vehicles that were in the plant go on."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from taktline.ops.driver import EVENT_KINDS
from taktline.ops.store.db import Store
from taktline.ops.store.models import AndonRow, EventRow, OrderRow, VehicleRow
from tests.ops.conftest import ADMIN, OPERATOR, VIEWER, auth, free_port

COLOURS = ("white", "black", "grey", "blue")


class Server:
    """``python -m taktline.commands.serve`` as a child process."""

    def __init__(self, db: str, cwd: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/api/v1"
        env = {**os.environ, "TAKTLINE_TOKENS__VIEWER": VIEWER,
               "TAKTLINE_TOKENS__OPERATOR": OPERATOR, "TAKTLINE_TOKENS__ADMIN": ADMIN,
               "TAKTLINE_SEQUENCING__INTERVAL_S": "0.5"}
        self.log = (cwd / "serve.log").open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "taktline.commands.serve", "--db", db, "--port",
             str(self.port), "--no-opcua", "--speed", "2000", "--sequencing", "arrival",
             "--log-level", "warning"],
            cwd=cwd, env=env, stdout=self.log, stderr=self.log)
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(self.url + "/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"serve did not start ({self.proc.returncode}): "
                                     + (cwd / "serve.log").read_text()[-3000:])
            time.sleep(0.2)

    def kill(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)
        self.log.close()
        assert self.proc.returncode == -signal.SIGKILL

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(30)
        self.log.close()


class Client(threading.Thread):
    """Posts batches of orders with idempotency keys until told to stop; remembers which
    batches were acknowledged and which were not (the server died under them)."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.acked: dict[str, list[str]] = {}
        self.unacked: dict[str, dict[str, Any]] = {}
        self.halt = threading.Event()
        self.n = 0

    def body(self) -> dict[str, Any]:
        self.n += 1
        return {"orders": [{"order_id": f"C{self.n:04d}-{k}", "variant": "m5_bev",
                            "colour": COLOURS[(self.n + k) % 4],
                            "options": ["hud"] if k % 3 == 0 else []} for k in range(8)]}

    def run(self) -> None:
        with httpx.Client(timeout=10) as http:
            while not self.halt.is_set():
                key, body = uuid.uuid4().hex, self.body()
                try:
                    r = http.post(self.url + "/orders/batch", json=body,
                                  headers={**auth(OPERATOR), "Idempotency-Key": key})
                    assert r.status_code == 201, r.text
                    self.acked[key] = [o["order_id"] for o in r.json()]
                except (httpx.HTTPError, AssertionError):
                    self.unacked[key] = body
                    time.sleep(0.1)
                time.sleep(0.05)


def _until(probe: Callable[[], bool], timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while not probe():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.5)


def _counts(url: str) -> dict[str, int]:
    out = {}
    for state in ("in_process", "completed"):
        r = httpx.get(url + "/vehicles", params={"state": state, "limit": 1},
                      headers=auth(VIEWER), timeout=30)
        out[state] = int(r.json()["count"])
    return out


def _vehicles(url: str) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    offset = 0
    with httpx.Client(timeout=30) as http:
        while True:
            page = http.get(url + "/vehicles", params={"limit": 500, "offset": offset},
                            headers=auth(VIEWER)).json()
            out.update({v["vin"]: v for v in page["items"]})
            offset += 500
            if offset >= page["count"]:
                return out


@pytest.fixture(params=["sqlite", "postgresql"])
def crash_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'crash.db'}"
    else:
        yield str(request.getfixturevalue("pg_url"))


@pytest.mark.slow
def test_sigkill_mid_run_loses_and_duplicates_nothing(crash_db: str, tmp_path: Path) -> None:
    server = Server(crash_db, tmp_path)
    client = Client(server.url)
    client.start()
    try:
        # orders arrive, vehicles are released, built and dispatched (however busy the
        # machine is): then, mid-run, with the client still posting, the process dies
        _until(lambda: _counts(server.url).get("completed", 0) >= 3)
        before = _vehicles(server.url)
        server.kill()
    finally:
        client.halt.set()
        client.join(15)
    states_before = Counter(v["state"] for v in before.values())
    assert states_before["in_process"] > 10 and states_before["completed"] > 0, states_before

    server = Server(crash_db, tmp_path)
    try:
        with httpx.Client(timeout=30) as http:  # a client retries what was not answered
            for key, body in client.unacked.items():
                r = http.post(server.url + "/orders/batch", json=body,
                              headers={**auth(OPERATOR), "Idempotency-Key": key})
                assert r.status_code in (200, 201), r.text
                client.acked[key] = [o["order_id"] for o in r.json()]
            again = http.post(server.url + "/orders/batch", json={"orders": []},
                              headers=auth(OPERATOR))
            assert again.status_code == 422
        in_process = {vin for vin, v in before.items() if v["state"] == "in_process"}

        def moved_on() -> bool:
            now = _vehicles(server.url)
            moved = [vin for vin in in_process if now[vin]["state"] == "completed"
                     or now[vin]["location"] != before[vin]["location"]]
            return len(moved) > 0.5 * len(in_process)

        _until(moved_on)  # the vehicles that were in the plant go on
        after = _vehicles(server.url)
    finally:
        server.stop()
    _check(crash_db, client, before, after)


def _check(db: str, client: Client, before: dict[str, dict[str, Any]],
           after: dict[str, dict[str, Any]]) -> None:
    store = Store.open(db, upgrade=False)
    try:
        with store.read() as s:
            orders = s.scalars(select(OrderRow)).all()
            vehicles = s.scalars(select(VehicleRow)).all()
            events = s.scalars(select(EventRow).order_by(EventRow.id)).all()
            open_andon = s.scalars(select(AndonRow).where(AndonRow.end_t.is_(None),
                                                          AndonRow.start_t < 0)).all()
    finally:
        store.close()
    acked = [oid for ids in client.acked.values() for oid in ids]
    ids = Counter(o.order_id for o in orders)
    # orders: every acknowledged one exactly once, nothing else
    assert set(acked) <= set(ids) and max(ids.values()) == 1
    assert len(ids) == len(set(acked)) == len(acked)
    # vehicles: none lost, none twice, one per released order ("after" was read from the
    # API shortly before the clean stop; the store holds what was released since, too)
    assert set(before) <= set(after) <= {v.vin for v in vehicles}
    assert len({v.vin for v in vehicles}) == len(vehicles)
    assert len({v.order_pk for v in vehicles}) == len(vehicles)
    released = {o.id for o in orders if o.status in ("released", "completed")}
    assert {v.order_pk for v in vehicles} == released
    for vin, v in before.items():  # nothing goes back
        order = ("released", "in_process", "completed")
        assert order.index(after[vin]["state"]) >= order.index(v["state"]), vin
    _check_log(events, vehicles)
    assert not open_andon
    print(f"\ncrash test ({db.split(':')[0]}): orders acknowledged {len(acked)} "
          f"(of which {sum(len(client.acked[k]) for k in client.unacked)} retried after the "
          f"restart), in the store {len(ids)}; vehicles before the kill {len(before)} "
          f"{dict(Counter(v['state'] for v in before.values()))}, after {len(after)} "
          f"{dict(Counter(v['state'] for v in after.values()))}")


def _check_log(events: list[EventRow], vehicles: list[VehicleRow]) -> None:
    per_vin: dict[str, list[EventRow]] = {}
    for e in events:
        if e.vin is not None:
            per_vin.setdefault(e.vin, []).append(e)
    assert set(per_vin) == {v.vin for v in vehicles}
    for v in vehicles:
        kinds = Counter(e.kind for e in per_vin[v.vin])
        assert kinds["mes.release"] == 1 and kinds["released"] <= 1, v.vin
        assert kinds["dispatched"] == (v.state == "completed"), v.vin
        if v.state == "completed":
            assert kinds["released"] == 1
            seq = [e.kind for e in per_vin[v.vin]]
            assert seq.index("mes.release") < seq.index("released") < seq.index("dispatched")
    plant = [e.t for e in events if e.kind in EVENT_KINDS]
    assert plant == sorted(plant), "plant time went back"
    starts = [e for e in events if e.kind == "mes.decision" and e.data["action"] == "start"]
    assert len(starts) == 2
    resumed = {e.vin for e in events if e.kind == "mes.resumed"}
    assert resumed, "no vehicle was resumed at the restart"
