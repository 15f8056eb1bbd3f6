"""The event log: poll it (``GET /events?after=ID``) or follow it live over a WebSocket
(``/stream``). Both give the same messages in the same order.

Stream protocol (stable; the dashboard uses it)::

    ws://HOST:PORT/api/v1/stream?token=VIEWER_TOKEN&after=ID&kinds=state,down,up

* authenticate with ``Authorization: Bearer`` or ``?token=`` (viewer or higher);
  without it the handshake is refused (close code 1008);
* the server sends one JSON object per event, oldest first::

      {"id": 1234, "t": 86412.0, "at": "2026-11-28T06:00:00+00:00", "kind": "finished",
       "station": "ub_20", "vin": "LTKM5BEV7TC000001", "data": {"good": true, ...}}

  first the events after ``after`` from the store (none if ``after`` is left out: live
  events only), then live ones as they are logged; ``kinds`` filters by kind;
* ``{"kind": "heartbeat", "id": <last id>, "t": <plant time>}`` every 15 s of silence;
* a client that cannot keep up is closed with code 1013; reconnect with ``after`` set
  to the last ``id`` received and nothing is lost.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Query, WebSocket, WebSocketDisconnect, status

from taktline.ops.api.deps import StoreDep, Viewer
from taktline.ops.api.schemas.common import MAX_PAGE
from taktline.ops.api.schemas.vehicles import EventPublic
from taktline.ops.service import Mes
from taktline.ops.settings import Role
from taktline.ops.store import log as store_log
from taktline.ops.store.db import Store
from taktline.ops.store.models import EventRow
from taktline.ops.stream import DROPPED, Subscription, event_message

router = APIRouter(tags=["events"])
HEARTBEAT_S = 15.0


def _kinds(text: str | None) -> frozenset[str] | None:
    return frozenset(k for k in text.split(",") if k) if text else None


@router.get("/events", response_model=list[EventPublic])
def list_events(store: StoreDep, _: Viewer,
                after: Annotated[int, Query(ge=0, le=2**62)] = 0,
                kinds: Annotated[str | None, Query(max_length=400,
                                                   pattern=r"^[a-z._,]*$")] = None,
                limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100) -> list[EventPublic]:
    """Logged events with ``id > after``, oldest first (``kinds``: comma-separated)."""
    k = _kinds(kinds)
    with store.read() as s:
        rows = store_log.events_after(s, after, limit=limit, kinds=sorted(k) if k else None)
    return [EventPublic(id=r.id, t=r.t, at=r.at, kind=r.kind, station=r.station, vin=r.vin,
                        data=r.data) for r in rows]


@router.websocket("/stream")
async def stream(ws: WebSocket,
                 after: Annotated[int | None, Query(ge=0, le=2**62)] = None,
                 kinds: Annotated[str | None, Query(max_length=400,
                                                    pattern=r"^[a-z._,]*$")] = None,
                 token: Annotated[str | None, Query(max_length=256)] = None) -> None:
    app = ws.app
    header = ws.headers.get("authorization", "")
    given = header[7:] if header.lower().startswith("bearer ") else token
    role = app.state.tokens.role_of(given)
    if role is None or role.rank < Role.VIEWER.rank:
        await ws.close(code=status.WS_1008_POLICY_VIOLATION)
        return
    mes = app.state.mes
    await ws.accept()
    sub = mes.hub.subscribe(_kinds(kinds))
    try:
        last = after if after is not None else mes.hub.last_id
        last = await _replay(ws, app.state.store, last, sub.kinds, until=mes.hub.last_id)
        await _follow(ws, sub, mes, last)
    except WebSocketDisconnect:
        pass
    finally:
        mes.hub.unsubscribe(sub)


async def _replay(ws: WebSocket, store: Store, after: int, kinds: frozenset[str] | None,
                  until: int) -> int:
    """Send logged events ``after < id <= until`` from the store; the last id sent."""
    while after < until:
        rows = await asyncio.to_thread(_page, store, after)
        if not rows:
            break
        for r in rows:
            if r.id > until:
                return after
            after = r.id
            if kinds is None or r.kind in kinds:
                await ws.send_json(event_message(r))
    return after


def _page(store: Store, after: int) -> list[EventRow]:
    with store.read() as s:
        return store_log.events_after(s, after, limit=500)


async def _follow(ws: WebSocket, sub: Subscription, mes: Mes, last: int) -> None:
    """Send live events until the client goes (noticed at once, not at the next send)."""
    gone = asyncio.create_task(_until_disconnect(ws))
    try:
        while not gone.done():
            get = asyncio.create_task(sub.queue.get())
            done, _ = await asyncio.wait({get, gone}, timeout=HEARTBEAT_S,
                                         return_when=asyncio.FIRST_COMPLETED)
            if get not in done:
                get.cancel()
                if not gone.done():
                    await ws.send_json({"kind": "heartbeat", "id": last, "t": mes.now})
                continue
            message = get.result()
            if message is DROPPED:
                await ws.close(code=status.WS_1013_TRY_AGAIN_LATER)
                return
            if message["id"] > last:
                last = message["id"]
                await ws.send_json(message)
    finally:
        gone.cancel()


async def _until_disconnect(ws: WebSocket) -> None:
    """Read (and ignore) what the client sends, until it disconnects."""
    while True:
        message = await ws.receive()
        if message["type"] == "websocket.disconnect":
            return
