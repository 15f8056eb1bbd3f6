"""Fixtures of the operations tests: real databases and a real HTTP server.

* ``postgres`` - a private PostgreSQL cluster (Debian's ``postgresql`` package, installed
  by ``scripts/setup-system``): ``initdb`` in a temporary folder and ``pg_ctl start`` on a
  free loopback port, run as the ``postgres`` user when the tests run as root (CI); one
  cluster per test process, a fresh database per test (``pg_url``).
* ``db_url`` - parametrised over SQLite (a file in ``tmp_path``) and that PostgreSQL.
* :func:`serving` - the service's ASGI app under a real uvicorn server in a thread.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from taktline.ops.settings import Settings, TokenSettings

VIEWER, OPERATOR, ADMIN = "viewer-token-0123456789", "operator-token-0123456789", \
    "admin-token-0123456789abc"
TOKENS = TokenSettings(viewer=VIEWER, operator=OPERATOR, admin=ADMIN)  # type: ignore[arg-type]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pg_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
                   key=lambda p: int(Path(p).parts[-3]))
    if not found:
        pytest.fail("PostgreSQL is not installed: run scripts/setup-system (Debian postgresql)")
    return Path(found[-1]).parent


def _as_postgres(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    return ["runuser", "-u", "postgres", "--", *cmd]


class PgCluster:
    """A private PostgreSQL server for the tests of one process."""

    def __init__(self, root: Path) -> None:
        self.bin = _pg_bin()
        self.root = root
        self.data = root / "data"
        self.port = free_port()
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(root, pw.pw_uid, pw.pw_gid)
        subprocess.run(_as_postgres([str(self.bin / "initdb"), "-D", str(self.data), "-U",
                                     "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]),
                       check=True, capture_output=True)
        opts = (f"-p {self.port} -k {root} -c listen_addresses=127.0.0.1 "
                "-c max_connections=200 -c shared_buffers=32MB")
        subprocess.run(_as_postgres([str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", opts,
                                     "-l", str(root / "log"), "-w", "-t", "60", "start"]),
                       check=True, capture_output=True)

    def url(self, db: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{db}"

    def create_db(self) -> str:
        import psycopg

        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres",
                             autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        subprocess.run(_as_postgres([str(self.bin / "pg_ctl"), "-D", str(self.data), "-m",
                                     "immediate", "stop"]), capture_output=True)
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PgCluster]:
    # not under pytest's tmp folder: the postgres user must be able to reach it
    root = Path(tempfile.mkdtemp(prefix="taktline-pg-"))
    os.chmod(root, 0o755)
    try:
        cluster = PgCluster(root)
    except subprocess.CalledProcessError as exc:
        shutil.rmtree(root, ignore_errors=True)
        pytest.fail(f"cannot start PostgreSQL: {exc.cmd}: {exc.stderr!r}")
    yield cluster
    cluster.stop()


@pytest.fixture
def pg_url(postgres: PgCluster) -> str:
    return postgres.create_db()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'taktline.db'}"
    return str(request.getfixturevalue("pg_url"))


def settings_for(db: str, **kw: object) -> Settings:
    """Test settings: given tokens, no OPC UA, arrival sequencing unless told."""
    base: dict[str, object] = {"db": db, "tokens": TOKENS, "opcua": False,
                               "sequencing": {"method": "arrival", "interval_s": 0.3}}
    base.update(kw)
    return Settings(**base)  # type: ignore[arg-type]


@contextlib.contextmanager
def serving(app: object) -> Iterator[str]:
    """Run ``app`` under uvicorn on a free port in a thread; yields its base URL."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,  # type: ignore[arg-type]
                                           log_level="warning", lifespan="on",
                                           timeout_graceful_shutdown=5))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
