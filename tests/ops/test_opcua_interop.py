"""The OPC UA server against an independent peer: node-opcua-client (Node.js).

The twin (:class:`TwinDriver`, two-station plant, 200x) runs behind the server while the
MES side of this test releases one vehicle a second, so station m1 alternates between
working and starved. ``interop/client.js`` connects with Basic256Sha256 SignAndEncrypt
and a user name, browses ``Machines``, reads an identification, subscribes to the
station's state, calls PackML Stop and Start; then an anonymous session tries to write
and to call, a viewer tries to call, and a wrong password tries to log in.

``npm ci`` installs the pinned client (``interop/package.json`` + lock) the first time.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import shutil
import socket
import subprocess
from pathlib import Path
from typing import Any

import pytest

from taktline.ops.driver import PlantEvent
from taktline.ops.opcua import OpcUaSettings, OpcUaUser, start_opcua
from taktline.ops.twin_driver import TwinDriver
from taktline.plant.load import load_plant
from taktline.plant.orders import Order

INTEROP = Path(__file__).parent / "interop"
STATION = "m1"
OPERATOR = OpcUaUser(name="operator", password="interop-operator-pw", role="operator")
VIEWER = OpcUaUser(name="viewer", password="interop-viewer-pw", role="viewer")


def _pinned_version() -> str:
    return str(json.loads((INTEROP / "package.json").read_text())["dependencies"]
               ["node-opcua-client"])


def _installed_version() -> str | None:
    manifest = INTEROP / "node_modules" / "node-opcua-client" / "package.json"
    return str(json.loads(manifest.read_text())["version"]) if manifest.is_file() else None


@pytest.fixture(scope="session")
def node_client() -> tuple[str, Path]:
    """``node`` and the client script, with the pinned node-opcua installed (npm ci)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.fail("the OPC UA interop test needs Node.js >= 20 and npm on PATH")
    fd = os.open(INTEROP, os.O_RDONLY)  # one installer at a time (pytest -n workers)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        if _installed_version() != _pinned_version():
            subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                           cwd=INTEROP, check=True, timeout=600)
    finally:
        os.close(fd)
    assert _installed_version() == _pinned_version()
    return node, INTEROP / "client.js"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _feed(driver: TwinDriver, every: float) -> None:
    """The MES side: release one vehicle every ``every`` wall seconds."""
    n = 0
    while True:
        n += 1
        driver.release(f"VIN{n:05d}", Order(f"O{n:05d}", "suv", "white"))
        await asyncio.sleep(every)


async def _run_peer(node: str, script: Path, tmp: Path) -> tuple[list[dict[str, Any]],
                                                                  list[PlantEvent], str]:
    driver = TwinDriver(load_plant("two_station"), seed=3, speed=200.0, tick_s=0.05)
    events: list[PlantEvent] = []
    driver.subscribe(events.append)
    port = _free_port()
    settings = OpcUaSettings(endpoint=f"opc.tcp://127.0.0.1:{port}", users=[OPERATOR, VIEWER],
                             allow_anonymous_read=True, pki_dir=tmp / "server-pki")
    config = tmp / "peer.json"
    config.write_text(json.dumps({
        "endpoint": settings.endpoint, "namespaceUri": "urn:taktline:plant:two-station",
        "station": STATION, "user": OPERATOR.name,
        "password": OPERATOR.password.get_secret_value(), "viewer": VIEWER.name,
        "viewerPassword": VIEWER.password.get_secret_value(), "pkiDir": str(tmp / "peer-pki"),
        "watchSeconds": 4,
    }))
    async with contextlib.AsyncExitStack() as stack:
        handle = await start_opcua(driver, settings)
        stack.push_async_callback(handle.stop)
        await driver.start()
        stack.push_async_callback(driver.stop)
        feeder = asyncio.create_task(_feed(driver, every=1.0))
        stack.callback(feeder.cancel)
        proc = await asyncio.create_subprocess_exec(node, str(script), str(config),
                                                    stdout=asyncio.subprocess.PIPE,
                                                    stderr=asyncio.subprocess.PIPE)
        stack.push_async_callback(_reap, proc)
        out, err = await asyncio.wait_for(proc.communicate(), timeout=90)
    lines = [json.loads(line) for line in out.decode().splitlines() if line.startswith("{")]
    return lines, events, err.decode()


async def _reap(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        proc.kill()
        await proc.wait()


def test_node_opcua_client_drives_the_server(node_client: tuple[str, Path],
                                             tmp_path: Path) -> None:
    node, script = node_client
    lines, events, stderr = asyncio.run(_run_peer(node, script, tmp_path))
    steps = {line["step"]: line for line in lines}
    (tmp_path / "peer-output.jsonl").write_text("\n".join(json.dumps(x) for x in lines))
    assert "error" not in steps, steps["error"]["message"] + "\n" + stderr[-3000:]
    assert "done" in steps, stderr[-3000:]

    # security: only the encrypted endpoint, user name (and anonymous, as configured)
    endpoints = steps["endpoints"]["endpoints"]
    assert {(e["policy"], e["mode"]) for e in endpoints} == {("Basic256Sha256",
                                                             "SignAndEncrypt")}
    assert set(endpoints[0]["tokens"]) == {"UserName", "Anonymous"}
    assert steps["session"]["mode"] == "SignAndEncrypt"

    # browse Machines: every station, display names from the plant
    machines = {m["browseName"].split(":")[-1]: m for m in steps["browse"]["machines"]}
    assert set(machines) == {"m1", "m2"}
    ident = steps["identification"]
    assert ident["Manufacturer"] == "taktline digital twin"
    assert ident["SerialNumber"] == "two-station.m1"
    assert ident["ProductInstanceUri"] == "urn:taktline:plant:two-station:station:m1"
    assert ident["Location"] == "body"

    # the subscription saw the station change as the twin ran
    changes = steps["subscription"]["changes"]
    item_states = [c["value"] for c in changes if c["node"] == "MachineryItemState"]
    assert {"Executing", "NotExecuting"} <= set(item_states), changes
    assert len(item_states) >= 4, changes
    execute = {c["value"] for c in changes if c["node"] == "PackML.ExecuteState"}
    assert {"Execute", "Suspended"} <= execute, changes
    starved = [c["value"] for c in changes if c["node"] == "PackML.EquipmentStarved"]
    assert True in starved and False in starved, changes

    # Stop: the twin held the station, and the address space shows it; Start released it
    assert steps["stop"]["status"] == "Good"
    assert steps["stop"]["machineState"] == "Stopped"
    assert steps["stop"]["itemState"] == "NotExecuting"
    assert steps["stop"]["executeState"] == "BadStateNotActive"
    held = [e for e in events if e.kind == "state" and e.station == STATION
            and e.data.get("state") == "stopped"]
    assert held, "the twin never reported the station stopped"
    assert steps["start"]["status"] == "Good"
    assert steps["start"]["machineState"] == "Running"
    after = [e for e in events if e.kind == "state" and e.station == STATION
             and e.seq > held[0].seq]
    assert after and after[0].data.get("state") != "stopped"

    # refused: anonymous write and call, viewer call, operator write, a wrong password
    assert steps["anonymous"]["read"] == "Good"
    assert steps["anonymous"]["write"] == "BadUserAccessDenied"
    assert steps["anonymous"]["call"] == "BadUserAccessDenied"
    assert steps["viewer"] == {"step": "viewer", "read": "Good", "call": "BadUserAccessDenied"}
    assert steps["operator_write"]["status"] == "BadUserAccessDenied"
    assert steps["wrong_password"]["result"].startswith("Bad")
