"""Builders of VDA 5050 2.0.0 messages (headers, orders, actions, states, connection)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

__all__ = ["VERSION", "Headers", "action", "connection", "edge", "node", "params_of"]

VERSION = "2.0.0"
Msg = dict[str, Any]


class Headers:
    """The header of every message one party sends: ``headerId`` counts per topic."""

    def __init__(self, manufacturer: str, serial: str) -> None:
        self.manufacturer = manufacturer
        self.serial = serial
        self._ids: dict[str, int] = {}

    def __call__(self, topic: str, serial: str | None = None, **fields: Any) -> Msg:
        serial = serial or self.serial
        key = f"{serial}/{topic}"
        n = self._ids.get(key, -1) + 1
        self._ids[key] = n
        stamp = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        return {"headerId": n, "timestamp": stamp, "version": VERSION,
                "manufacturer": self.manufacturer, "serialNumber": serial, **fields}


def action(action_type: str, action_id: str, blocking: str = "HARD",
           **params: str | float | bool) -> Msg:
    """An action (node, edge or instant) with ``actionParameters`` from ``params``."""
    return {"actionType": action_type, "actionId": action_id, "blockingType": blocking,
            "actionParameters": [{"key": k, "value": v} for k, v in params.items()]}


def params_of(act: Msg) -> dict[str, Any]:
    """An action's parameters as a dict."""
    return {p["key"]: p["value"] for p in act.get("actionParameters", [])}


def node(node_id: str, seq: int, released: bool, x: float, y: float, map_id: str,
         actions: Sequence[Msg] = ()) -> Msg:
    """An order node (``sequenceId`` even) with its position on map ``map_id``."""
    return {"nodeId": node_id, "sequenceId": seq, "released": released,
            "nodePosition": {"x": x, "y": y, "mapId": map_id}, "actions": list(actions)}


def edge(edge_id: str, seq: int, released: bool, start: str, end: str,
         max_speed: float | None = None) -> Msg:
    """An order edge (``sequenceId`` odd) from ``start`` to ``end``."""
    out: Msg = {"edgeId": edge_id, "sequenceId": seq, "released": released,
                "startNodeId": start, "endNodeId": end, "actions": []}
    if max_speed is not None:
        out["maxSpeed"] = max_speed
    return out


def connection(headers: Headers, state: str) -> Msg:
    """A ``connection`` message: ONLINE, OFFLINE or CONNECTIONBROKEN."""
    return headers("connection", connectionState=state)
