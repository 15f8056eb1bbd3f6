"""The store on SQLite and a real PostgreSQL server: migrations make exactly the models'
schema, SQLite runs in WAL mode with full sync, transactions are all or nothing,
idempotent acceptance, cancel rules, database errors translated."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select, text

from taktline.errors import ConflictError, NotFoundError, SettingsError, StoreError
from taktline.ops.intake import OrderIn
from taktline.ops.store import log as store_log
from taktline.ops.store import orders as store_orders
from taktline.ops.store import vehicles as store_vehicles
from taktline.ops.store.db import Store
from taktline.ops.store.models import Base, EventRow, OrderRow

NOW = datetime(2026, 11, 28, tzinfo=UTC)


def test_migrations_make_the_models_schema(db_url: str) -> None:
    store = Store.open(db_url)
    Store.open(db_url).close()  # migrating twice is a no-op
    with store.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    assert "orders" in store.tables() and "alembic_version" in store.tables()
    store.close()


def test_sqlite_runs_in_wal_mode_with_full_sync(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'w.db'}")
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    store.close()


def test_a_transaction_is_all_or_nothing(db_url: str) -> None:
    store = Store.open(db_url)
    with pytest.raises(RuntimeError), store.tx() as s:
        store_orders.accept_orders(s, [OrderIn("v", "c")], key=None, body_hash="h",
                                   now=NOW, t=0.0)
        raise RuntimeError("the process fails half way")
    with store.read() as s:
        assert s.scalar(select(func.count()).select_from(OrderRow)) == 0
        assert s.scalar(select(func.count()).select_from(EventRow)) == 0
    store.close()


def test_accept_release_cancel(db_url: str) -> None:
    store = Store.open(db_url)
    items = [OrderIn("m5_bev", "white", ("hud",), "A-1"), OrderIn("m5_bev", "red")]
    with store.tx() as s:
        first = store_orders.accept_orders(s, items, key="k", body_hash="h", now=NOW, t=1.0)
    with store.tx() as s:
        again = store_orders.accept_orders(s, items, key="k", body_hash="h", now=NOW, t=2.0)
    assert not first.replayed and again.replayed
    assert [o.order_id for o in again.orders] == [o.order_id for o in first.orders]
    with pytest.raises(ConflictError, match="different body"), store.tx() as s:
        store_orders.accept_orders(s, items, key="k", body_hash="other", now=NOW, t=3.0)
    with pytest.raises(ConflictError, match="exists already"), store.tx() as s:
        store_orders.accept_orders(s, items[:1], key=None, body_hash="x", now=NOW, t=3.0)
    with store.tx() as s:
        head = store_orders.queue(s, 10)
        assert head[0].order_id == "A-1"
        done = store_vehicles.release_order(s, head[0], t=5.0, now=NOW)
        assert done is not None and done[0].vin.startswith("LTK")
        assert store_vehicles.release_order(s, head[0], t=5.0, now=NOW) is None  # once
    with pytest.raises(ConflictError, match="released"), store.tx() as s:
        store_orders.cancel_order(s, "A-1", now=NOW, t=6.0)
    with store.tx() as s:
        other = first.orders[1].order_id
        assert store_orders.cancel_order(s, other, now=NOW, t=6.0).status == "cancelled"
        assert store_orders.cancel_order(s, other, now=NOW, t=7.0).status == "cancelled"
    with pytest.raises(NotFoundError), store.read() as s:
        store_orders.get_order(s, "nope")
    with store.read() as s:
        assert store_vehicles.count_states(s) == {"released": 1}
        row = store_orders.get_order(s, "A-1")
        assert row.created_at.tzinfo is not None  # UTC, on SQLite too
    store.close()


def test_database_errors_are_translated() -> None:
    store = Store.open("postgresql+psycopg://nobody@127.0.0.1:1/none", upgrade=False)
    with pytest.raises(StoreError, match="database error") as err, store.read() as s:
        s.execute(text("SELECT 1"))
    assert err.value.__cause__ is not None
    with pytest.raises(SettingsError):
        Store.open("oracle://x")


def test_retention_prunes_old_plant_events_only(db_url: str) -> None:
    store = Store.open(db_url)
    with store.tx() as s:
        s.add_all(EventRow(t=float(t), at=NOW, kind=kind, station=None, vin=None, data={})
                  for t in range(10) for kind in ("state", "finished", "mes.decision"))
    with store.tx() as s:
        assert store_log.prune_events(s, before_t=5.0, limit=4) == 4  # a chunk at a time
    with store.tx() as s:
        assert store_log.prune_events(s, before_t=5.0) == 6
        assert store_log.prune_events(s, before_t=5.0) == 0
    with store.read() as s:
        left = s.execute(select(EventRow.kind, func.count()).group_by(EventRow.kind)).all()
    assert dict(left) == {"state": 5, "finished": 5, "mes.decision": 10}
    store.close()


def test_a_connection_checked_in_after_close_is_closed(tmp_path: Path) -> None:
    """A read still running in a worker thread when the service stops gives its
    connection back after close(): it is closed then, not left for the garbage
    collector (whose ResourceWarning once failed an unrelated test)."""
    import sqlite3

    store = Store.open(f"sqlite:///{tmp_path / 'late.db'}")
    conn = store.engine.connect()
    raw = conn.connection.dbapi_connection
    assert raw is not None
    raw.execute("SELECT 1")
    store.close()
    conn.close()  # the late check-in
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):
        raw.execute("SELECT 1")
