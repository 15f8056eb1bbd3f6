"""Hypothesis strategies: small random plants built through the public plant format."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from taktline.plant import Plant
from tests.builders import plant


@st.composite
def cycles(draw: st.DrawFn) -> tuple[Any, float]:
    """A cycle spec and its smallest possible value."""
    kind = draw(st.sampled_from(["constant", "uniform", "exponential"]))
    lo = draw(st.integers(5, 60))
    if kind == "constant":
        return lo, float(lo)
    if kind == "uniform":
        return {"dist": "uniform", "low": lo, "high": lo + draw(st.integers(0, 40))}, float(lo)
    return {"dist": "exponential", "mean": lo}, 0.0


@st.composite
def small_plants(draw: st.DrawFn) -> tuple[Plant, float]:
    """A line of 1-5 stations, some with parallel servers, failures, conveyors or a
    parallel twin station; returns the plant and a lower bound of its slowest stage's
    time per item (for the throughput property)."""
    n = draw(st.integers(1, 5))
    buffers: list[dict[str, Any]] = [{"id": "b0", "capacity": draw(st.integers(1, 3))}]
    stations: list[dict[str, Any]] = []
    slowest = 0.0
    for i in range(n):
        cap = draw(st.integers(0, 4)) if i < n - 1 else draw(st.integers(1, 3))
        transit = draw(st.sampled_from([0, 0, 0, 30])) if cap > 0 else 0
        buffers.append({"id": f"b{i + 1}", "capacity": cap, "transit": transit})
        cyc, low = draw(cycles())
        servers = draw(st.integers(1, 3))
        st_spec: dict[str, Any] = {"id": f"m{i}", "cycle": cyc, "servers": servers,
                                   "inputs": [f"b{i}"], "outputs": [f"b{i + 1}"]}
        if draw(st.booleans()):
            st_spec["failures"] = [{
                "ttf": {"dist": "exponential", "mean": draw(st.integers(200, 5000))},
                "ttr": {"dist": "exponential", "mean": draw(st.integers(10, 300))},
                "basis": draw(st.sampled_from(["operating", "calendar"]))}]
        stations.append(st_spec)
        copies = 1
        if draw(st.integers(0, 4)) == 0:  # a parallel twin sharing input and output
            stations.append({**st_spec, "id": f"m{i}_twin"})
            copies = 2
        slowest = max(slowest, low / (servers * copies))
    interval = draw(st.sampled_from([None, 20, {"dist": "exponential", "mean": 30}]))
    source: dict[str, Any] = {"kind": "vehicles", "id": "src", "to": "b0"}
    if interval is not None:
        source["interval"] = interval
    return plant(stations, buffers, sources=[source]), slowest
