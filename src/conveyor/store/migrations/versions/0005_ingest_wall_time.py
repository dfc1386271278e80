"""Test ingests: the wall time of what produced them (a tier's whole pytest session).

Revision ID: 0005
Revises: 0003
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("test_ingests") as batch:
        batch.add_column(sa.Column("wall_time", sa.Double(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("test_ingests") as batch:
        batch.drop_column("wall_time")
