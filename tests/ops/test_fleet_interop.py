"""The fleet manager against an independent VDA 5050 vehicle, through a real broker.

Debian's ``mosquitto`` runs on a private loopback port (its own config: no persistence,
anonymous on 127.0.0.1 only). The npm package ``vda-5050-lib`` 1.4.0 (``AgvController``
with ``VirtualAgvAdapter``, nobody here wrote it; pinned in ``fleet_interop/package.json``
+ lock, ``npm ci`` on first use) is the vehicle. Our :class:`FleetManager`, over
:class:`MqttTransport`, sends it a transport task as an order (base to the pickup,
horizon after it, extended with ``orderUpdateId`` 1 once the pick is FINISHED); the
vehicle drives, picks, drops and returns home. Then an order whose ``pick`` names a
station type the vehicle does not serve is rejected by the vehicle (``orderError``);
the manager re-plans the task and gives it up after its attempts, logged.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from taktline.ops.fleet.manager import FleetManager
from taktline.ops.fleet.schemas import validate
from taktline.ops.fleet.transport import MqttTransport
from taktline.plan.dispatch import PathNetwork

HERE = Path(__file__).parent / "fleet_interop"
PINNED = "1.4.0"


def _installed() -> str | None:
    manifest = HERE / "node_modules" / "vda-5050-lib" / "package.json"
    return str(json.loads(manifest.read_text())["version"]) if manifest.is_file() else None


@pytest.fixture(scope="module")
def node() -> str:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.fail("the VDA 5050 interop test needs Node.js >= 20 and npm on PATH")
    fd = os.open(HERE, os.O_RDONLY)  # one installer at a time (pytest -n workers)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        if _installed() != PINNED:
            subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                           cwd=HERE, check=True, timeout=600)
    finally:
        os.close(fd)
    assert _installed() == PINNED
    return node


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    exe = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    if not Path(exe).is_file():
        pytest.fail("the VDA 5050 interop test needs Debian's mosquitto (scripts/setup-system)")
    port = _free_port()
    conf = tmp_path_factory.mktemp("mosquitto") / "mosquitto.conf"
    conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
    proc = subprocess.Popen([exe, "-c", str(conf)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    deadline = time.monotonic() + 10
    while True:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                break
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            pytest.fail(f"mosquitto did not start: {proc.stderr.read() if proc.stderr else ''}")
        time.sleep(0.05)
    yield f"mqtt://127.0.0.1:{port}"
    proc.terminate()
    proc.communicate(timeout=10)


def _wait(lock: threading.Lock, cond: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with lock:
            if cond():
                return
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}")


class Side:
    """Our fleet manager on the broker, its handlers serialised by one lock."""

    def __init__(self, url: str, serial: str) -> None:
        self.lock = threading.Lock()
        self.t0 = time.monotonic()
        net = PathNetwork.build([("n0", 0.0, 0.0, False), ("n1", 4.0, 0.0, False),
                                 ("n2", 8.0, 0.0, False)],
                                [("n0", "n1", None, True), ("n1", "n2", None, True)], home="n0")
        self.raw: list[tuple[str, dict[str, Any]]] = []
        self.transport = MqttTransport(url, f"taktline-test-{uuid.uuid4().hex[:8]}",
                                       call=self._locked)
        self.events: list[dict[str, Any]] = []
        self.mgr = FleetManager("line", net, self.transport, [serial], manufacturer="vdalib",
                                speed=2.0, now=lambda: time.monotonic() - self.t0,
                                on_event=lambda t, vin, d: self.events.append(d))
        with self.lock:
            self.mgr.start()
        for topic in ("order", "state"):
            self.transport.subscribe(topic, lambda m, s, t, msg: self.raw.append((t, msg)))

    def _locked(self, fn: Callable[[], None]) -> None:
        with self.lock:
            fn()


def test_the_virtual_agv_of_vda_5050_lib_serves_our_orders(node: str, broker: str) -> None:
    serial = f"vagv{uuid.uuid4().hex[:6]}"
    proc = subprocess.Popen([node, str(HERE / "agv.js"), broker, "vdalib", serial, "n0", "0",
                             "0", "2"], cwd=HERE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    side = Side(broker, serial)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "READY"
        v = side.mgr.vehicles[serial]
        _wait(side.lock, lambda: v.seen and v.online, 20, "the vehicle's first state")
        with side.lock:
            task = side.mgr.submit("n1", "n2", vin="VIN1")
        _wait(side.lock, lambda: task.status == "done" and v.order_id is None, 60,
              "the transport to finish")
        with side.lock:
            orders = [m for t, m in side.raw if t == "order"]
            states = [m for t, m in side.raw if t == "state"]
            assert [o["orderUpdateId"] for o in orders] == [0, 1]
            assert orders[0]["orderId"] == orders[1]["orderId"]
            finished = {a["actionType"] for s in states for a in s["actionStates"]
                        if a["actionStatus"] == "FINISHED"}
            assert {"pick", "drop"} <= finished
            assert states[-1]["lastNodeId"] == "n0" and states[-1]["nodeStates"] == []
            assert any(s["lastNodeId"] == "n2" for s in states)
            for s in states:
                validate("state", s)
            assert {"loading", "unloading", "driving", "idle"} <= {e["state"]
                                                                   for e in side.events}
            assert side.transport.rejected == 0
            bad = side.mgr.submit("n1", "n2", stationType="rack")
        _wait(side.lock, lambda: bad.status == "failed", 30, "the rejected task to be given up")
        with side.lock:
            assert "rejected" in bad.reason and bad.attempts == side.mgr.max_attempts
            errors = [e for t, m in side.raw if t == "state" for e in m["errors"]]
            assert any(e["errorType"] == "orderError" for e in errors)
            assert sum("rejected order" in line for line in side.mgr.log) == bad.attempts
            assert v.fatal is None and v.order_id is None
    finally:
        proc.terminate()
        proc.communicate(timeout=10)
        side.transport.close()
