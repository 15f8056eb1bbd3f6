"""The initial schema of the operations store.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Stamp = sa.DateTime(timezone=True)


def _id() -> sa.Column[int]:
    return sa.Column("id", BigId, primary_key=True)


def upgrade() -> None:
    op.create_table(
        "orders", _id(),
        sa.Column("order_id", sa.String(64), nullable=False, unique=True),
        sa.Column("variant", sa.String(64), nullable=False),
        sa.Column("colour", sa.String(64), nullable=False),
        sa.Column("options", sa.String(1024), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("seq", sa.Float(), nullable=False, index=True),
        sa.Column("idempotency_key", sa.String(255), nullable=True),
        sa.Column("created_at", Stamp, nullable=False),
        sa.Column("released_at", Stamp, nullable=True),
        sa.Column("completed_at", Stamp, nullable=True),
        sa.Column("cancelled_at", Stamp, nullable=True),
    )
    op.create_table(
        "idempotency",
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("body_hash", sa.String(64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("response", sa.JSON(), nullable=False),
        sa.Column("created_at", Stamp, nullable=False),
    )
    op.create_table(
        "vehicles", _id(),
        sa.Column("vin", sa.String(17), nullable=False, unique=True),
        sa.Column("order_pk", BigId, sa.ForeignKey("orders.id"), nullable=False, unique=True),
        sa.Column("state", sa.String(16), nullable=False, index=True),
        sa.Column("location", sa.String(80), nullable=True),
        sa.Column("released_t", sa.Float(), nullable=False),
        sa.Column("entered_t", sa.Float(), nullable=True),
        sa.Column("completed_t", sa.Float(), nullable=True),
        sa.Column("eol_result", sa.String(8), nullable=True),
        sa.Column("first_pass", sa.Boolean(), nullable=True),
        sa.Column("released_at", Stamp, nullable=False),
        sa.Column("completed_at", Stamp, nullable=True),
    )
    op.create_table(
        "vehicle_steps", _id(),
        sa.Column("vehicle_id", BigId, sa.ForeignKey("vehicles.id"), nullable=False,
                  index=True),
        sa.Column("station", sa.String(64), nullable=False),
        sa.Column("started_t", sa.Float(), nullable=False),
        sa.Column("finished_t", sa.Float(), nullable=True),
        sa.Column("good", sa.Boolean(), nullable=True),
        sa.Column("robots", sa.JSON(), nullable=True),
        sa.Column("interrupted", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "vehicle_parts", _id(),
        sa.Column("vehicle_id", BigId, sa.ForeignKey("vehicles.id"), nullable=False,
                  index=True),
        sa.Column("station", sa.String(64), nullable=False),
        sa.Column("part", sa.String(64), nullable=False),
        sa.Column("serial", sa.String(64), nullable=False),
        sa.Column("lot", sa.String(96), nullable=True),
        sa.Column("t", sa.Float(), nullable=False),
    )
    _log_tables()


def _log_tables() -> None:
    op.create_table(
        "events", _id(),
        sa.Column("t", sa.Float(), nullable=False),
        sa.Column("at", Stamp, nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("station", sa.String(64), nullable=True),
        sa.Column("vin", sa.String(17), nullable=True, index=True),
        sa.Column("data", sa.JSON(), nullable=False),
    )
    op.create_index("ix_events_kind_t", "events", ["kind", "t"])
    op.create_index("ix_events_station_t", "events", ["station", "t"])
    op.create_table(
        "andon", _id(),
        sa.Column("station", sa.String(64), nullable=False, index=True),
        sa.Column("cause", sa.String(64), nullable=False),
        sa.Column("planned", sa.Boolean(), nullable=False),
        sa.Column("start_t", sa.Float(), nullable=False),
        sa.Column("end_t", sa.Float(), nullable=True, index=True),
        sa.Column("start_at", Stamp, nullable=False),
        sa.Column("end_at", Stamp, nullable=True),
        sa.Column("action", sa.String(32), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
    )
    op.create_table(
        "stations",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("since_t", sa.Float(), nullable=False),
        sa.Column("held", sa.Boolean(), nullable=False),
        sa.Column("degraded", sa.Boolean(), nullable=False),
        sa.Column("finished", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", Stamp, nullable=False),
    )
    op.create_table(
        "audit", _id(),
        sa.Column("at", Stamp, nullable=False),
        sa.Column("t", sa.Float(), nullable=False),
        sa.Column("actor", sa.String(32), nullable=False),
        sa.Column("action", sa.String(32), nullable=False, index=True),
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
    )
    op.create_table(
        "meta",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    for table in ("meta", "audit", "stations", "andon", "events", "vehicle_parts",
                  "vehicle_steps", "vehicles", "idempotency", "orders"):
        op.drop_table(table)
