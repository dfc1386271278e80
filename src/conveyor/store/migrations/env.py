"""Alembic environment: conveyor passes an open connection in ``config.attributes``.

Run by :func:`conveyor.store.database.migrate`. To write a new revision by hand, copy the
newest file in ``versions/``, set ``down_revision`` to its ``revision`` and update
``conveyor.store.revisions``.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from conveyor.store import delivery_models as _delivery_models  # noqa: F401  (on Base)
from conveyor.store import perf_models as _perf_models  # noqa: F401  (on Base)
from conveyor.store import results_models as _results_models  # noqa: F401  (on Base)
from conveyor.store import server_models as _server_models  # noqa: F401  (on Base)
from conveyor.store import token_models as _token_models  # noqa: F401  (on Base)
from conveyor.store.models import Base

connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise RuntimeError("conveyor migrations need a connection: use conveyor.store.database")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
