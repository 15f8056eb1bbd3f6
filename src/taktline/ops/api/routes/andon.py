"""Andon events: station stops with cause, start, end and what the MES did."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from taktline.ops.api.deps import StoreDep, Viewer
from taktline.ops.api.schemas.common import MAX_PAGE
from taktline.ops.api.schemas.plant import AndonPublic, AndonsPublic
from taktline.ops.store import log as store_log

router = APIRouter(prefix="/andon", tags=["andon"])


@router.get("", response_model=AndonsPublic)
def list_andon(store: StoreDep, _: Viewer,
               station: Annotated[str | None, Query(max_length=64)] = None,
               open: bool = False,
               planned: bool | None = None,
               limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
               offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0) -> AndonsPublic:
    """Andon events, newest first; ``open=true`` only those still going on."""
    with store.read() as s:
        rows, total = store_log.list_andon(s, station=station, open_only=open,
                                           planned=planned, limit=limit, offset=offset)
    items = [AndonPublic(id=r.id, station=r.station, cause=r.cause, planned=r.planned,
                         start_t=r.start_t, end_t=r.end_t,
                         duration_s=None if r.end_t is None else r.end_t - r.start_t,
                         start_at=r.start_at, end_at=r.end_at, action=r.action, note=r.note)
             for r in rows]
    return AndonsPublic(items=items, count=total, limit=limit, offset=offset)
