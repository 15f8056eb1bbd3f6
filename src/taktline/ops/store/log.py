"""The logs of the store: audit decisions, the event log, andon events, station states,
meta facts, and what a restart does to them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from taktline.ops.store.models import (
    AndonRow,
    AuditRow,
    EventRow,
    MetaRow,
    StationRow,
    StepRow,
    VehicleRow,
)
from taktline.ops.store.vehicles import IN_PLANT

__all__ = [
    "add_audit",
    "events_after",
    "get_meta",
    "last_event_id",
    "list_andon",
    "list_audit",
    "list_stations",
    "plant_clock",
    "prune_events",
    "recover",
    "set_meta",
]


def add_audit(s: Session, *, t: float, now: datetime, actor: str, action: str, subject: str,
              reason: str, data: dict[str, Any] | None = None) -> EventRow:
    """Record a decision in the audit log (and the event log: the row returned)."""
    s.add(AuditRow(at=now, t=t, actor=actor, action=action, subject=subject, reason=reason,
                   data=data or {}))
    event = EventRow(t=t, at=now, kind="mes.decision", station=None, vin=None,
                     data={"actor": actor, "action": action, "subject": subject,
                           "reason": reason})
    s.add(event)
    return event


def list_audit(s: Session, *, action: str | None = None, subject: str | None = None,
               actor: str | None = None, limit: int = 50,
               offset: int = 0) -> tuple[list[AuditRow], int]:
    """A page of audit entries, newest first, and the total."""
    q = select(AuditRow)
    if action is not None:
        q = q.where(AuditRow.action == action)
    if subject is not None:
        q = q.where(AuditRow.subject == subject)
    if actor is not None:
        q = q.where(AuditRow.actor == actor)
    total = s.scalar(select(func.count()).select_from(q.subquery())) or 0
    rows = s.scalars(q.order_by(AuditRow.id.desc()).limit(limit).offset(offset)).all()
    return list(rows), int(total)


def events_after(s: Session, after: int, *, limit: int = 500,
                 kinds: Sequence[str] | None = None) -> list[EventRow]:
    """Log rows with ``id > after``, oldest first."""
    q = select(EventRow).where(EventRow.id > after)
    if kinds:
        q = q.where(EventRow.kind.in_(list(kinds)))
    return list(s.scalars(q.order_by(EventRow.id).limit(limit)).all())


def last_event_id(s: Session) -> int:
    return int(s.scalar(select(func.max(EventRow.id))) or 0)


def list_andon(s: Session, *, station: str | None = None, open_only: bool = False,
               planned: bool | None = None, limit: int = 50,
               offset: int = 0) -> tuple[list[AndonRow], int]:
    """A page of andon events, newest first, and the total."""
    q = select(AndonRow)
    if station is not None:
        q = q.where(AndonRow.station == station)
    if open_only:
        q = q.where(AndonRow.end_t.is_(None))
    if planned is not None:
        q = q.where(AndonRow.planned == planned)
    total = s.scalar(select(func.count()).select_from(q.subquery())) or 0
    rows = s.scalars(q.order_by(AndonRow.id.desc()).limit(limit).offset(offset)).all()
    return list(rows), int(total)


def list_stations(s: Session) -> dict[str, StationRow]:
    return {r.id: r for r in s.scalars(select(StationRow))}


def get_meta(s: Session, key: str) -> str | None:
    row = s.get(MetaRow, key)
    return row.value if row is not None else None


def set_meta(s: Session, key: str, value: str) -> None:
    row = s.get(MetaRow, key)
    if row is None:
        s.add(MetaRow(key=key, value=value))
    else:
        row.value = value


def prune_events(s: Session, before_t: float, limit: int = 20_000) -> int:
    """Delete up to ``limit`` plant events older than ``before_t`` (the MES's own
    ``mes.*`` events are kept); returns how many went."""
    ids = select(EventRow.id).where(EventRow.t < before_t,
                                    EventRow.kind.not_like("mes.%")).limit(limit)
    done = s.execute(delete(EventRow).where(EventRow.id.in_(ids.scalar_subquery()))
                     .execution_options(synchronize_session=False))
    return int(done.rowcount)  # type: ignore[attr-defined]


def plant_clock(s: Session) -> float:
    """The latest plant time in the event log (0 for an empty store)."""
    return float(s.scalar(select(func.max(EventRow.t))) or 0.0)


def recover(s: Session, *, t: float, now: datetime) -> dict[str, int]:
    """After a restart: steps that were under way are marked interrupted, andon events
    still open are closed at ``t``, holds and degraded marks are cleared (the plant
    driver reports the stations afresh)."""
    in_plant = select(VehicleRow.id).where(VehicleRow.state.in_(IN_PLANT))
    steps = s.execute(update(StepRow).where(StepRow.finished_t.is_(None),
                                            StepRow.interrupted.is_(False),
                                            StepRow.vehicle_id.in_(in_plant))
                      .values(interrupted=True).execution_options(synchronize_session=False))
    andon = s.execute(update(AndonRow).where(AndonRow.end_t.is_(None))
                      .values(end_t=t, end_at=now, note="closed at restart")
                      .execution_options(synchronize_session=False))
    s.execute(update(StationRow).values(held=False, degraded=False)
              .execution_options(synchronize_session=False))
    return {"interrupted_steps": int(steps.rowcount),  # type: ignore[attr-defined]
            "closed_andon": int(andon.rowcount)}  # type: ignore[attr-defined]
