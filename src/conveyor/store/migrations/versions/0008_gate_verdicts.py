"""Delivery: the verdicts of blocking gates per run and environment; what a deployment
row records (``deployments.action``: ``deploy`` or ``rollback``).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.add_column(
        "deployments", sa.Column("action", sa.String(16), nullable=False, server_default="deploy")
    )
    op.create_table(
        "gate_verdicts",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("run_id", BigId, sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
        sa.Column("job_key", sa.String(1024), nullable=False),
        sa.Column("environment", sa.String(255), nullable=False),
        sa.Column("gate", sa.String(64), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("checked_at", sa.Double(), nullable=False),
    )
    op.create_index("ix_gate_verdicts_run_env", "gate_verdicts", ["run_id", "environment"])


def downgrade() -> None:
    raise NotImplementedError("conveyor databases are not downgraded; restore a backup instead")
