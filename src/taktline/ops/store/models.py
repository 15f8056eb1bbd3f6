"""The tables of the operations store (SQLAlchemy 2 declarative models).

Times come in two kinds: ``*_t`` columns are **plant seconds** (the MES's plant clock,
continuous across restarts; simulated seconds for the twin), ``*_at`` columns are wall
clock UTC timestamps of when the MES recorded something.

The schema is created and changed only by the Alembic migrations in
``ops/store/migrations``; these models must match them (a test compares the two).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "AndonRow",
    "AuditRow",
    "Base",
    "EventRow",
    "IdempotencyRow",
    "MetaRow",
    "OrderRow",
    "PartRow",
    "StationRow",
    "StepRow",
    "VehicleRow",
]

BigId = BigInteger().with_variant(Integer, "sqlite")  # SQLite autoincrements INTEGER keys


class Stamp(TypeDecorator[datetime]):
    """A UTC timestamp; SQLite keeps no time zone, so it is put back when read."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON,
                                                           datetime: Stamp}


class OrderRow(Base):
    """A customer order for one vehicle; ``seq`` orders the queue of unreleased ones."""

    __tablename__ = "orders"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[str] = mapped_column(String(64), unique=True)
    variant: Mapped[str] = mapped_column(String(64))
    colour: Mapped[str] = mapped_column(String(64))
    options: Mapped[str] = mapped_column(String(1024), default="")
    status: Mapped[str] = mapped_column(String(16), index=True)
    seq: Mapped[float] = mapped_column(Float, index=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(255), nullable=True)
    created_at: Mapped[datetime]
    released_at: Mapped[datetime | None] = mapped_column(nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(nullable=True)


class IdempotencyRow(Base):
    """The answer given to a request with an ``Idempotency-Key``, for its retries."""

    __tablename__ = "idempotency"
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    body_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime]


class VehicleRow(Base):
    """One vehicle: born when its order is released (VIN assigned), tracked to dispatch."""

    __tablename__ = "vehicles"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    vin: Mapped[str] = mapped_column(String(17), unique=True)
    order_pk: Mapped[int] = mapped_column(ForeignKey("orders.id"), unique=True)
    state: Mapped[str] = mapped_column(String(16), index=True)
    location: Mapped[str | None] = mapped_column(String(80), nullable=True)
    released_t: Mapped[float] = mapped_column(Float)
    entered_t: Mapped[float | None] = mapped_column(Float, nullable=True)
    completed_t: Mapped[float | None] = mapped_column(Float, nullable=True)
    eol_result: Mapped[str | None] = mapped_column(String(8), nullable=True)
    first_pass: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    released_at: Mapped[datetime]
    completed_at: Mapped[datetime | None] = mapped_column(nullable=True)


class StepRow(Base):
    """A vehicle at one station: when work began and ended, the result, the robots."""

    __tablename__ = "vehicle_steps"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicles.id"), index=True)
    station: Mapped[str] = mapped_column(String(64))
    started_t: Mapped[float] = mapped_column(Float)
    finished_t: Mapped[float | None] = mapped_column(Float, nullable=True)
    good: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    robots: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    interrupted: Mapped[bool] = mapped_column(Boolean, default=False)


class PartRow(Base):
    """A part joined to a vehicle (genealogy): battery pack serial, panel press lot."""

    __tablename__ = "vehicle_parts"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicles.id"), index=True)
    station: Mapped[str] = mapped_column(String(64))
    part: Mapped[str] = mapped_column(String(64))
    serial: Mapped[str] = mapped_column(String(64))
    lot: Mapped[str | None] = mapped_column(String(96), nullable=True)
    t: Mapped[float] = mapped_column(Float)


class EventRow(Base):
    """The event log: every plant event and every MES event, in the order applied."""

    __tablename__ = "events"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    t: Mapped[float] = mapped_column(Float)
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(24))
    station: Mapped[str | None] = mapped_column(String(64), nullable=True)
    vin: Mapped[str | None] = mapped_column(String(17), nullable=True, index=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)

    __table_args__ = (Index("ix_events_kind_t", "kind", "t"),
                      Index("ix_events_station_t", "station", "t"))


class AndonRow(Base):
    """A stop of a station: failure (or planned stop), with start, end and action."""

    __tablename__ = "andon"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    station: Mapped[str] = mapped_column(String(64), index=True)
    cause: Mapped[str] = mapped_column(String(64))
    planned: Mapped[bool] = mapped_column(Boolean, default=False)
    start_t: Mapped[float] = mapped_column(Float)
    end_t: Mapped[float | None] = mapped_column(Float, nullable=True, index=True)
    start_at: Mapped[datetime]
    end_at: Mapped[datetime | None] = mapped_column(nullable=True)
    action: Mapped[str | None] = mapped_column(String(32), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)


class StationRow(Base):
    """The last known state of each station."""

    __tablename__ = "stations"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    state: Mapped[str] = mapped_column(String(16))
    since_t: Mapped[float] = mapped_column(Float)
    held: Mapped[bool] = mapped_column(Boolean, default=False)
    degraded: Mapped[bool] = mapped_column(Boolean, default=False)
    finished: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime]


class AuditRow(Base):
    """A decision of the MES (or a command of a person) with its reason."""

    __tablename__ = "audit"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime]
    t: Mapped[float] = mapped_column(Float)
    actor: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(32), index=True)
    subject: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)


class MetaRow(Base):
    """Small facts about the store: schema owner, plant name, restarts."""

    __tablename__ = "meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
