"""Test ingests: the job and step whose files they came from (reports a workflow's steps
wrote or uploaded, detected and ingested by conveyor), and a digest of the (masked) file,
so one report is ingested once per run however many steps see it.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMNs: rebuilding the table on SQLite would cascade-delete its results.
    op.add_column("test_ingests", sa.Column("job_key", sa.String(255), nullable=True))
    op.add_column("test_ingests", sa.Column("step_index", sa.Integer(), nullable=True))
    op.add_column("test_ingests", sa.Column("step_name", sa.String(255), nullable=True))
    op.add_column("test_ingests", sa.Column("digest", sa.String(64), nullable=True))


def downgrade() -> None:
    raise NotImplementedError("conveyor databases are not downgraded; restore a backup instead")
