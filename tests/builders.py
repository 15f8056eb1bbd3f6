"""Small plants built in code for tests, through the public plant format."""

from __future__ import annotations

from typing import Any

import yaml

from taktline.plant import Plant, parse_plant
from taktline.plant.orders import Order
from taktline.sim import Run, run_twin

PRODUCTS: dict[str, Any] = {
    "variants": [{"id": "v", "share": 1}],
    "colours": [{"id": "c", "share": 1}],
}


def plant(
    stations: list[dict[str, Any]],
    buffers: list[dict[str, Any]],
    sources: list[dict[str, Any]] | None = None,
    sinks: list[dict[str, Any]] | None = None,
    products: dict[str, Any] | None = None,
    **extra: Any,
) -> Plant:
    """A plant from plain dicts (dumped to YAML and loaded like a user's file)."""
    doc: dict[str, Any] = {
        "name": "test",
        "takt": extra.pop("takt", 120),
        "shops": [{"id": "s"}],
        "products": products or PRODUCTS,
        "sources": sources or [{"kind": "vehicles", "id": "src", "to": buffers[0]["id"]}],
        "buffers": buffers,
        "stations": [{"shop": "s", **st} for st in stations],
        "sinks": sinks or [{"id": "sink", "from": buffers[-1]["id"]}],
        **extra,
    }
    return parse_plant(yaml.safe_dump(doc, sort_keys=False), filename="test.yaml")


def serial_line(
    cycles: list[Any],
    capacity: int | None = 2,
    failures: list[Any] | None = None,
    source: dict[str, Any] | None = None,
    **extra: Any,
) -> Plant:
    """Source -> b0 -> m0 -> b1 -> ... -> m(n-1) -> bn -> sink."""
    n = len(cycles)
    buffers = [{"id": "b0", "capacity": 1 if source is None else None}]
    buffers += [{"id": f"b{i}", "capacity": capacity} for i in range(1, n)]
    buffers += [{"id": f"b{n}", "capacity": 1}]
    stations = []
    for i, cyc in enumerate(cycles):
        st: dict[str, Any] = {"id": f"m{i}", "cycle": cyc, "inputs": [f"b{i}"],
                              "outputs": [f"b{i + 1}"]}
        if failures and failures[i]:
            st["failures"] = failures[i]
        stations.append(st)
    sources = [{"kind": "vehicles", "id": "src", "to": "b0", **(source or {})}]
    return plant(stations, buffers, sources=sources, **extra)


def run(p: Plant, horizon: float, seed: int = 1, orders: list[Order] | None = None,
        **kw: Any) -> Run:
    return run_twin(p, horizon_s=horizon, seed=seed, orders=orders, **kw)


def ops(r: Run, station: int) -> dict[str, list[Any]]:
    """The operation records of one station as lists."""
    t = r.records.ops[station]
    return {name: t.column(name).tolist() for name in t.names}


def states(r: Run, station: int) -> list[tuple[float, int]]:
    """State changes of one station; of several at one instant only the last counts."""
    times, codes = r.records.state_arrays(station)
    out: list[tuple[float, int]] = []
    for t, c in zip(times.tolist(), codes.tolist(), strict=True):
        if out and out[-1][0] == t:
            out.pop()
        if not out or out[-1][1] != c:
            out.append((t, c))
    return out


def table(r: Run, kind: str) -> dict[str, list[Any]]:
    t = r.records.table(kind)
    return {name: t.column(name).tolist() for name in t.names}


def digest(r: Run) -> str:
    """A hash of every record of a run (equal digests: identical records, bit for bit)."""
    import hashlib

    h = hashlib.sha256()
    log = r.records
    for i in range(len(log.stations)):
        for t in (log.states[i], log.ops[i]):
            for name in t.names:
                h.update(t.column(name).tobytes())
    for kind in sorted(log.tables):
        for name in log.tables[kind].names:
            h.update(log.tables[kind].column(name).tobytes())
    h.update("\n".join(log.orders).encode())
    return h.hexdigest()
