"""Test ingests: the wall time of what produced them (a tier's whole pytest session).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN: rebuilding the table on SQLite would cascade-delete its results.
    op.add_column("test_ingests", sa.Column("wall_time", sa.Double(), nullable=True))


def downgrade() -> None:
    raise NotImplementedError("conveyor databases are not downgraded; restore a backup instead")
