"""Performance: benchmark results per repository, benchmark, run, commit and branch.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "benchmark_results",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column(
            "repository_id",
            BigId,
            sa.ForeignKey("repositories.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("run_id", BigId, nullable=True),
        sa.Column("benchmark", sa.String(1024), nullable=False),
        sa.Column("value", sa.Double(), nullable=False),
        sa.Column("unit", sa.String(32), nullable=False),
        sa.Column("lower_is_better", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("commit", sa.String(64), nullable=False),
        sa.Column("branch", sa.String(1024), nullable=False),
        sa.Column("recorded_at", sa.Double(), nullable=False),
    )
    op.create_index(
        "ix_benchmark_results_series",
        "benchmark_results",
        ["repository_id", "benchmark", "branch", "recorded_at"],
    )
    op.create_index("ix_benchmark_results_run", "benchmark_results", ["run_id"])


def downgrade() -> None:
    raise NotImplementedError("conveyor databases are not downgraded; restore a backup instead")
