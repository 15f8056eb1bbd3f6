"""The live event stream: a fan-out of the event log to WebSocket clients.

One task tails the event log in the store (rows with a higher id than the last one it
saw, a few times a second) and hands them to every client, so the stream carries every
logged event - from the plant, from the MES's decisions, from the API - in log order,
and a client that reconnects with ``?after=<id>`` continues without a gap (the store
commits log rows in id order). Each client has a bounded queue: a client that falls
more than ``maxsize`` events behind is dropped (its socket is closed with code 1013,
"try again later"); it reconnects with ``?after=<last id it saw>`` and gets the rest
from the store, so no event is lost for a client that reconnects.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from taktline.ops.store.db import Store
from taktline.ops.store.log import events_after, last_event_id
from taktline.ops.store.models import EventRow

__all__ = ["DROPPED", "PAGE", "Hub", "Subscription", "event_message"]

DROPPED: dict[str, Any] = {"kind": "dropped"}
"""Put in a subscription's queue (emptied first) when it could not keep up."""

PAGE = 1000


def event_message(row: EventRow) -> dict[str, Any]:
    """The JSON form of one log row, as the stream and the API send it."""
    at = row.at
    return {
        "id": row.id,
        "t": row.t,
        "at": at.isoformat() if isinstance(at, datetime) else str(at),
        "kind": row.kind,
        "station": row.station,
        "vin": row.vin,
        "data": row.data,
    }


class Subscription:
    """One client's queue of event messages."""

    def __init__(self, maxsize: int, kinds: frozenset[str] | None) -> None:
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize)
        self.kinds = kinds
        self.dropped = False

    def wants(self, message: dict[str, Any]) -> bool:
        return self.kinds is None or message["kind"] in self.kinds


class Hub:
    """Publishes event messages to every subscription (call from the event loop)."""

    def __init__(self, maxsize: int = 2000) -> None:
        self.maxsize = maxsize
        self.subs: set[Subscription] = set()
        self.last_id = 0

    def subscribe(self, kinds: frozenset[str] | None = None) -> Subscription:
        sub = Subscription(self.maxsize, kinds)
        self.subs.add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        self.subs.discard(sub)

    async def tail(self, store: Store, every_s: float = 0.2) -> None:
        """Publish new log rows until cancelled."""
        self.last_id = await asyncio.to_thread(_last_id, store)
        while True:
            await asyncio.sleep(every_s)
            if not self.subs:
                self.last_id = await asyncio.to_thread(_last_id, store)
                continue
            while True:
                rows = await asyncio.to_thread(_after, store, self.last_id)
                self.publish(rows)
                if len(rows) < PAGE:
                    break

    def publish(self, rows: Iterable[EventRow]) -> None:
        messages = [event_message(r) for r in rows]
        if messages:
            self.last_id = max(self.last_id, messages[-1]["id"])
        for sub in list(self.subs):
            for m in messages:
                if not sub.wants(m):
                    continue
                try:
                    sub.queue.put_nowait(m)
                except asyncio.QueueFull:
                    sub.dropped = True
                    self.subs.discard(sub)
                    while not sub.queue.empty():
                        sub.queue.get_nowait()
                    sub.queue.put_nowait(DROPPED)
                    break


def _last_id(store: Store) -> int:
    with store.read() as s:
        return last_event_id(s)


def _after(store: Store, after: int) -> list[EventRow]:
    with store.read() as s:
        return events_after(s, after, limit=PAGE)
