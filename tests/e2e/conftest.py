"""Browser tests of the dashboard: Playwright driving Debian's Chromium against a real
``taktline serve`` process.

* ``service`` (one per test module): ``python -m taktline.commands.serve`` on a free
  loopback port, in a temporary working directory with a temporary SQLite database,
  tokens from the environment, no OPC UA, the twin at high speed and a batch of orders,
  so things happen fast;
* ``chromium``: ``/usr/bin/chromium`` (``scripts/setup-system``), never a downloaded
  browser;
* ``dash``: a fresh page at 1920x1080 that records console errors, uncaught exceptions
  and every request; after the test it saves a screenshot in
  ``test-output/e2e/<test>.png`` (gitignored) and fails the test on any console error
  or on a request that left the service (no CDN).
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.ops.conftest import ADMIN, OPERATOR, VIEWER, auth, free_port

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-output" / "e2e"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SPEED = 800.0  # plant seconds per wall second (faster and the MES releases slower than takt)
ORDERS = 600  # enough to keep the line busy for the whole module


@dataclass
class Service:
    url: str
    proc: subprocess.Popen[bytes]
    log: Path
    db: str

    def get(self, path: str, token: str = VIEWER, **params: Any) -> Any:
        r = httpx.get(f"{self.url}/api/v1{path}", headers=auth(token), params=params, timeout=30)
        r.raise_for_status()
        return r.json()

    def post(self, path: str, body: Any, token: str = ADMIN) -> Any:
        r = httpx.post(f"{self.url}/api/v1{path}", headers=auth(token), json=body, timeout=60)
        r.raise_for_status()
        return r.json()


def _orders(plant: dict[str, Any], n: int) -> list[dict[str, Any]]:
    rnd = random.Random(5)
    cat = plant["products"]
    options = [o["id"] for o in cat["options"]]
    return [{"order_id": f"E2E-{k:04d}", "variant": rnd.choice(cat["variants"])["id"],
             "colour": rnd.choice(cat["colours"])["id"],
             "options": sorted(rnd.sample(options, rnd.randint(0, min(2, len(options)))))}
            for k in range(n)]


@contextlib.contextmanager
def serve(work: Path, plant: str = "default", orders: int = ORDERS) -> Iterator[Service]:
    """``taktline serve PLANT`` in ``work`` with ``orders`` orders, until the block ends."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAKTLINE_")}
    env.update(TAKTLINE_TOKENS__VIEWER=VIEWER, TAKTLINE_TOKENS__OPERATOR=OPERATOR,
               TAKTLINE_TOKENS__ADMIN=ADMIN, TAKTLINE_API__KPI_CACHE_S="0.5")
    log = work / "serve.log"
    db = f"sqlite:///{work / 'taktline.db'}"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "taktline.commands.serve", plant, "--port", str(port),
             "--no-opcua", "--speed", str(SPEED), "--sequencing", "arrival",
             "--log-level", "warning", "--db", db, "--token-file", str(work / "t.json")],
            cwd=work, env=env, stdout=out, stderr=subprocess.STDOUT)
    svc = Service(f"http://127.0.0.1:{port}", proc, log, db)
    try:
        _wait_healthy(svc)
        svc.post("/orders/batch", {"orders": _orders(svc.get("/plant"), orders)}, OPERATOR)
        yield svc
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    with serve(tmp_path_factory.mktemp("serve")) as svc:
        yield svc


def _wait_healthy(svc: Service) -> None:
    deadline = time.monotonic() + 90
    while True:
        try:
            if httpx.get(svc.url + "/api/v1/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if svc.proc.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"taktline serve did not start:\n{svc.log.read_text()}")
        time.sleep(0.2)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    # Module scope, not session: Playwright's sync API keeps an event loop running in
    # the thread while it is started, and other tests that pytest-xdist runs in the same
    # worker afterwards call asyncio.run(), which refuses to start inside a running loop.
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is not installed: run scripts/setup-system")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@dataclass
class Watch:
    """What a page did: console errors, uncaught exceptions, requests."""

    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)


def open_page(browser: Browser, width: int = 1920, height: int = 1080) -> tuple[Page, Watch]:
    page = browser.new_page(viewport={"width": width, "height": height})
    watch = Watch()
    page.on("console", lambda m: watch.errors.append(f"console.{m.type}: {m.text}")
            if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: watch.errors.append(f"uncaught: {e}"))
    page.on("request", lambda r: watch.requests.append(r.url))
    return page, watch


def sign_in(page: Page, url: str, token: str) -> None:
    page.goto(url + "/")
    page.fill("#token", token)
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#map .station", timeout=30_000)


def finish(page: Page, watch: Watch, service: Service, name: str) -> Path:
    """Save the screenshot; fail on console errors or requests off the service."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    shot = SHOTS / f"{name}.png"
    page.screenshot(path=str(shot))
    page.close()
    assert not watch.errors, watch.errors
    host = service.url.split("//")[1]
    foreign = [u for u in watch.requests if u.split("//")[1].split("/")[0] != host
               and not u.startswith("data:")]
    assert not foreign, foreign
    return shot


@pytest.fixture
def dash(chromium: Browser, service: Service,
         request: pytest.FixtureRequest) -> Iterator[tuple[Page, Watch]]:
    page, watch = open_page(chromium)
    yield page, watch
    finish(page, watch, service, request.node.name)
