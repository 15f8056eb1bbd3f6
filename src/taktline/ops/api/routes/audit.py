"""The audit log: every decision of the MES and every command, with its reason."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from taktline.ops.api.deps import StoreDep, Viewer
from taktline.ops.api.schemas.common import MAX_PAGE
from taktline.ops.api.schemas.plant import AuditPublic, AuditsPublic
from taktline.ops.store import log as store_log

router = APIRouter(prefix="/audit", tags=["audit"])


@router.get("", response_model=AuditsPublic)
def list_audit(store: StoreDep, _: Viewer,
               action: Annotated[str | None, Query(max_length=32)] = None,
               subject: Annotated[str | None, Query(max_length=64)] = None,
               actor: Annotated[str | None, Query(max_length=32)] = None,
               limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
               offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0) -> AuditsPublic:
    """Audit entries, newest first: ``degrade``, ``wait_repair``, ``reroute``,
    ``reroute_end``, ``no_reroute``, ``hold_release``, ``resume_release``,
    ``resequence``, ``sequence``, ``command``, ``lift_holds``, ``speed``, ``start``."""
    with store.read() as s:
        rows, total = store_log.list_audit(s, action=action, subject=subject, actor=actor,
                                           limit=limit, offset=offset)
    items = [AuditPublic(id=r.id, at=r.at, t=r.t, actor=r.actor, action=r.action,
                         subject=r.subject, reason=r.reason, data=r.data) for r in rows]
    return AuditsPublic(items=items, count=total, limit=limit, offset=offset)
