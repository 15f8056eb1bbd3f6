"""Alembic environment of the operations store.

Run by :func:`taktline.ops.store.db.migrate`, which passes an open connection in
``config.attributes["connection"]``; there is no ``alembic.ini`` and no URL in a file.
"""

from __future__ import annotations

from alembic import context

from taktline.ops.store.models import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reachable by running alembic by hand
    raise RuntimeError("run migrations through taktline.ops.store.db.migrate(engine)")

context.configure(connection=connection, target_metadata=Base.metadata,
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
