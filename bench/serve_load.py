"""Load on ``taktline serve``: concurrent clients posting orders and reading vehicles.

For each store (SQLite in WAL mode with full sync, and PostgreSQL), the script starts a
real ``taktline serve`` process on loopback (the twin running at ``--speed``, OPC UA
off), lets ``--clients`` concurrent clients loop for ``--seconds`` - each request
alternately ``POST /orders`` (one order, a fresh idempotency key) and ``GET /vehicles``
(a page of 50) - and prints requests per second, p50/p99 latency and errors. The
PostgreSQL server is a private cluster the script starts in a temporary folder (Debian's
``postgresql``; as the ``postgres`` user when run as root). Clients and server share the
machine's cores.

    .venv/bin/python bench/serve_load.py [--clients 16] [--seconds 20] [--speed 60]
                                         [--stores sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np

TOKENS = {"VIEWER": "bench-viewer-0123456789", "OPERATOR": "bench-operator-0123456789",
          "ADMIN": "bench-admin-0123456789"}
COLOURS = ("white", "black", "grey", "blue", "green", "red")
VARIANTS = ("m5_erev", "m5_bev", "m7_erev", "m7_bev")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_postgres(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@contextlib.contextmanager
def postgres() -> Iterator[str]:
    """A private PostgreSQL cluster on a free port; yields its URL."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
                   key=lambda p: int(Path(p).parts[-3]))
    if not found:
        raise SystemExit("PostgreSQL is not installed (scripts/setup-system)")
    bindir = Path(found[-1]).parent
    root = Path(tempfile.mkdtemp(prefix="taktline-bench-pg-"))
    os.chmod(root, 0o755)
    if os.geteuid() == 0:
        pw = pwd.getpwnam("postgres")
        os.chown(root, pw.pw_uid, pw.pw_gid)
    port = free_port()
    data = root / "data"
    subprocess.run(_as_postgres([str(bindir / "initdb"), "-D", str(data), "-U", "postgres",
                                 "--auth=trust", "-E", "UTF8", "--no-sync"]),
                   check=True, capture_output=True)
    opts = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c max_connections=200"
    subprocess.run(_as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-o", opts, "-l",
                                 str(root / "log"), "-w", "start"]),
                   check=True, capture_output=True)
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(_as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast",
                                     "stop"]), capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


@contextlib.contextmanager
def serve(db: str, speed: float) -> Iterator[str]:
    """A ``taktline serve`` process on a free port; yields the API's base URL."""
    port = free_port()
    env = {**os.environ, **{f"TAKTLINE_TOKENS__{k}": v for k, v in TOKENS.items()}}
    workdir = tempfile.mkdtemp(prefix="taktline-bench-")
    proc = subprocess.Popen(
        [sys.executable, "-m", "taktline.commands.serve", "--db", db, "--port", str(port),
         "--no-opcua", "--speed", str(speed), "--log-level", "warning"],
        cwd=workdir, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}/api/v1"
    try:
        deadline = time.monotonic() + 120
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url + "/health", timeout=2).status_code == 200:
                    break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"serve did not start: {proc.stderr.read().decode()[-2000:]}"
                                 if proc.stderr else "serve did not start")
            time.sleep(0.2)
        yield url
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
        shutil.rmtree(workdir, ignore_errors=True)


async def client(url: str, until: float, k: int, lat: list[float], errors: list[str]) -> None:
    headers = {"Authorization": f"Bearer {TOKENS['OPERATOR']}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as http:
        n = 0
        while time.monotonic() < until:
            n += 1
            t0 = time.perf_counter()
            try:
                if n % 2:
                    body = {"variant": VARIANTS[(k + n) % 4], "colour": COLOURS[n % 6]}
                    r = await http.post("/orders", json=body,
                                        headers={"Idempotency-Key": uuid.uuid4().hex})
                    ok = r.status_code == 201
                else:
                    r = await http.get("/vehicles", params={"limit": 50})
                    ok = r.status_code == 200
                if not ok:
                    errors.append(f"{r.status_code} {r.text[:80]}")
            except httpx.HTTPError as exc:
                errors.append(type(exc).__name__)
            lat.append(time.perf_counter() - t0)


async def load(url: str, clients: int, seconds: float) -> tuple[int, list[float], list[str]]:
    lat: list[float] = []
    errors: list[str] = []
    until = time.monotonic() + seconds
    await asyncio.gather(*(client(url, until, k, lat, errors) for k in range(clients)))
    return len(lat), lat, errors


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--speed", type=float, default=60.0)
    ap.add_argument("--stores", default="sqlite,postgresql")
    args = ap.parse_args()
    print(f"{args.clients} clients, {args.seconds:g} s each, twin at {args.speed:g}x, "
          f"{os.cpu_count()} cores shared by clients and server")
    print(f"{'store':12s}{'requests':>10s}{'req/s':>9s}{'p50 ms':>9s}{'p99 ms':>9s}"
          f"{'errors':>8s}")
    for store in args.stores.split(","):
        with contextlib.ExitStack() as stack:
            if store == "sqlite":
                folder = stack.enter_context(tempfile.TemporaryDirectory())
                db = f"sqlite:///{folder}/bench.db"
            else:
                db = stack.enter_context(postgres())
            url = stack.enter_context(serve(db, args.speed))
            n, lat, errors = asyncio.run(load(url, args.clients, args.seconds))
        ms = np.asarray(lat) * 1000
        print(f"{store:12s}{n:>10,d}{n / args.seconds:>9.1f}{np.percentile(ms, 50):>9.1f}"
              f"{np.percentile(ms, 99):>9.1f}{len(errors):>8d}")
        if errors:
            print("  first errors:", errors[:3])


if __name__ == "__main__":
    main()
