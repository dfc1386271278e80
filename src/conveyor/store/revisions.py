"""The schema revisions this conveyor knows, oldest first, without importing Alembic.

Opening a database compares its ``alembic_version`` with :data:`HEAD_REVISION` using
plain SQL, so commands start fast; Alembic is imported only to migrate.
``tests/store/test_store_migrations.py`` checks this list against Alembic's history.
"""

from __future__ import annotations

REVISIONS = (
    "0001", "0002", "0003", "0004", "0005", "0006", "0007", "0008", "0009", "0010", "0011", "0012",
    "0013", "0014", "0015",
)  # fmt: skip
HEAD_REVISION = REVISIONS[-1]
