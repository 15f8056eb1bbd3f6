"""The database: engine, migrations and transactions.

* SQLite (the default, a file under the working directory) runs in WAL mode with a busy
  timeout, foreign keys on, and ``synchronous=FULL`` unless told otherwise: a committed
  transaction survives a crash of the process and of the machine.
* PostgreSQL through psycopg 3: ``postgresql+psycopg://user:password@host:port/db``.

:meth:`Store.tx` is one transaction: everything done inside commits together or not at
all. SQLAlchemy errors are translated to :class:`~taktline.errors.StoreError` at this
boundary (``raise ... from``), so callers see one exception tree.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from taktline.errors import ServiceError, SettingsError, StoreError

__all__ = ["MIGRATIONS", "Store", "check_url", "make_engine", "migrate"]

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
READ_OPTION = "taktline_read"
WRITER_LOCK = 0x7A6B7469  # PostgreSQL advisory lock key of the store's writers


def check_url(url: str) -> URL:
    """The parsed database URL (PostgreSQL always through psycopg 3), or SettingsError."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise SettingsError(f"not a database URL: {url!r}", field="db") from exc
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise SettingsError(f"database must be sqlite or postgresql (got {backend})",
                            field="db")
    if backend == "postgresql" and parsed.get_driver_name() != "psycopg":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def make_engine(url: str, *, synchronous: str = "FULL") -> Engine:
    """An engine for ``url``; SQLite files get WAL mode and the pragmas above."""
    parsed = check_url(url)
    backend = parsed.get_backend_name()
    kwargs: dict[str, Any] = {"pool_pre_ping": True}
    if backend == "sqlite":
        kwargs["connect_args"] = {"timeout": 30.0, "check_same_thread": False}
    else:
        kwargs.update(pool_size=8, max_overflow=8)
    engine = create_engine(parsed, **kwargs)
    if backend == "sqlite":
        _sqlite_pragmas(engine, synchronous)
    return engine


def _sqlite_pragmas(engine: Engine, synchronous: str) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # The DBAPI starts transactions itself; let SQLAlchemy's BEGIN do it (below).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA synchronous={synchronous}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # BEGIN IMMEDIATE: a writer takes the write lock at once, so two writers queue
        # on the busy timeout instead of failing to upgrade a read lock. Readers (the
        # "taktline_read" execution option) read a snapshot and never wait (WAL).
        read = conn.get_execution_options().get(READ_OPTION, False)
        conn.exec_driver_sql("BEGIN" if read else "BEGIN IMMEDIATE")


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration (Alembic ``upgrade head``)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot migrate the database: {exc}") from exc


class Store:
    """The database of one service: its engine and its transactions."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._closed = False
        # A read still running in a worker thread when the service stops (a cancelled
        # ``asyncio.to_thread``) checks its connection in after close(); close it then,
        # rather than leave it open in a pool nobody owns until the garbage collector.
        event.listen(engine, "checkin", self._late_checkin)
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._writer = threading.Lock()
        self._readers = sessionmaker(engine.execution_options(**{READ_OPTION: True}),
                                     expire_on_commit=False)

    @classmethod
    def open(cls, url: str, *, synchronous: str = "FULL", upgrade: bool = True) -> Store:
        """Connect to ``url`` and (by default) migrate it to the newest schema."""
        engine = make_engine(url, synchronous=synchronous)
        if upgrade:
            migrate(engine)
        return cls(engine)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def tx(self) -> Iterator[Session]:
        """One transaction: commit at the end of the block, roll back on any error.

        Writers take turns (SQLite: a lock in this process, then ``BEGIN IMMEDIATE``, so
        they queue instead of sleeping in SQLite's busy handler; PostgreSQL: a
        transaction-level advisory lock), so log rows are committed in the order of
        their ids."""
        lock = self._writer if self.dialect == "sqlite" else contextlib.nullcontext()
        try:
            with lock, self._sessions.begin() as session:
                if self.dialect == "postgresql":
                    session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": WRITER_LOCK})
                yield session
        except (ServiceError, SettingsError):
            raise
        except SQLAlchemyError as exc:
            raise StoreError(f"database error: {exc.__class__.__name__}: {exc}") from exc

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only transaction (on SQLite it never waits for a writer)."""
        try:
            with self._readers() as session:  # closes with a rollback: nothing is written
                yield session
        except (ServiceError, SettingsError):
            raise
        except SQLAlchemyError as exc:
            raise StoreError(f"database error: {exc.__class__.__name__}: {exc}") from exc

    def tables(self) -> list[str]:
        return sorted(inspect(self.engine).get_table_names())

    def close(self) -> None:
        self._closed = True
        self.engine.dispose()

    def _late_checkin(self, dbapi_connection: Any, record: Any) -> None:
        if self._closed:
            record.invalidate()

