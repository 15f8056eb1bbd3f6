"""``taktline serve``: with no arguments it runs the whole service (API, OPC UA, twin,
SQLite in WAL mode under the working directory) with tokens it makes and keeps; it
refuses missing, placeholder or unsafe settings with exit code 2 and one message."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from taktline.commands.serve import app
from taktline.errors import SettingsError
from taktline.ops.settings import Settings, TokenSettings
from tests.ops.conftest import free_port

runner = CliRunner()


@pytest.fixture(autouse=True)
def no_taktline_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith("TAKTLINE_"):
            monkeypatch.delenv(key)


def test_no_arguments_runs_the_whole_service(tmp_path: Path) -> None:
    port, opc = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAKTLINE_")}
    env.update(TAKTLINE_PORT=str(port), TAKTLINE_OPCUA_PORT=str(opc))
    out = (tmp_path / "out.txt").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "taktline.commands.serve"], cwd=tmp_path,
                            env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}/api/v1"
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(url + "/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, \
                (tmp_path / "out.txt").read_text()
            time.sleep(0.3)
        tokens = json.loads((tmp_path / "taktline-tokens.json").read_text())
        assert stat.S_IMODE((tmp_path / "taktline-tokens.json").stat().st_mode) == 0o600
        printed = (tmp_path / "out.txt").read_text()
        assert tokens["admin"] in printed and f"{port}/docs" in printed
        twin = httpx.get(url + "/twin", headers={"Authorization": f"Bearer {tokens['viewer']}"})
        assert twin.status_code == 200 and twin.json()["speed"] == 60.0
        with socket.create_connection(("127.0.0.1", opc), timeout=5):
            pass  # the OPC UA server listens
        with sqlite3.connect(tmp_path / "taktline.db") as db:
            assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    finally:
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(60)
        out.close()
    # a clean shutdown; uvicorn then ends with the signal it got, as a process should
    assert rc in (0, -signal.SIGTERM), (tmp_path / "out.txt").read_text()
    assert "Application shutdown complete" in (tmp_path / "out.txt").read_text()


def test_refuses_an_open_address_without_tokens(tmp_path: Path) -> None:
    r = runner.invoke(app, ["--host", "0.0.0.0", "--token-file", str(tmp_path / "t.json")])
    assert r.exit_code == 2
    assert "refusing to start" in r.output and "tokens.admin: not set" in r.output
    assert not (tmp_path / "t.json").exists()


def test_refuses_placeholder_tokens_unless_in_development(monkeypatch: pytest.MonkeyPatch,
                                                          tmp_path: Path) -> None:
    for role in ("VIEWER", "OPERATOR", "ADMIN"):
        monkeypatch.setenv(f"TAKTLINE_TOKENS__{role}", "changethis" if role == "ADMIN"
                           else f"{role.lower()}-long-enough-token")
    r = runner.invoke(app, ["--token-file", str(tmp_path / "t.json")])
    assert r.exit_code == 2 and "tokens.admin: a placeholder" in r.output
    placeholder = TokenSettings(viewer="changethis", operator="changeme",  # type: ignore[arg-type]
                                admin="password")
    with pytest.raises(SettingsError, match="placeholder"):
        Settings(tokens=placeholder).check_secrets()
    Settings(tokens=placeholder, dev=True).check_secrets()  # development: allowed
    same = TokenSettings(viewer="x" * 20, operator="x" * 20, admin="x" * 20)  # type: ignore[arg-type]
    with pytest.raises(SettingsError, match="its own token"):
        Settings(tokens=same).check_secrets()


@pytest.mark.parametrize(("args", "message"), [
    (["--db", "mysql://x@y/z"], "database must be sqlite or postgresql"),
    (["--db", "::nonsense::"], "not a database URL"),
    (["--speed", "20000"], "twin.speed"),
    (["--sequencing", "magic"], "sequencing.method"),
    (["no_such_plant"], "no_such_plant"),
])
def test_bad_settings_exit_2_with_one_message(tmp_path: Path, args: list[str],
                                              message: str) -> None:
    r = runner.invoke(app, [*args, "--token-file", str(tmp_path / "t.json"), "--no-opcua"])
    assert r.exit_code == 2, r.output
    assert message in r.output and "Traceback" not in r.output
