"""Delivery: canary releases and their analysis results.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Json = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "canaries",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column(
            "repository_id",
            BigId,
            sa.ForeignKey("repositories.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("app", sa.String(255), nullable=False),
        sa.Column("environment", sa.String(255), nullable=False),
        sa.Column("deployment_id", BigId, sa.ForeignKey("deployments.id", ondelete="SET NULL")),
        sa.Column("run_id", BigId, sa.ForeignKey("runs.id", ondelete="SET NULL")),
        sa.Column("job_key", sa.String(1024), nullable=False),
        sa.Column("stable_version", sa.String(255), nullable=False),
        sa.Column("stable_ref", sa.String(255), nullable=False),
        sa.Column("canary_version", sa.String(255), nullable=False),
        sa.Column("canary_ref", sa.String(255), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("plan", Json, nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("weight", sa.Double(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("paused_until", sa.Double()),
        sa.Column("command", sa.String(16)),
        sa.Column("command_by", sa.String(255), nullable=False),
        sa.Column("command_reason", sa.Text(), nullable=False),
        sa.Column("verdict", Json, nullable=False),
        sa.Column("owner_pid", sa.Integer(), nullable=False),
        sa.Column("owner_host", sa.String(255), nullable=False),
        sa.Column("started_at", sa.Double(), nullable=False),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.Column("ended_at", sa.Double()),
    )
    op.create_index(
        "ix_canaries_target", "canaries", ["repository_id", "environment", "app", "started_at"]
    )
    op.create_table(
        "canary_results",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column(
            "canary_id", BigId, sa.ForeignKey("canaries.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("interval", sa.Integer(), nullable=False),
        sa.Column("metric", sa.String(255), nullable=False),
        sa.Column("verdict", sa.String(16), nullable=False),
        sa.Column("canary_value", sa.Double()),
        sa.Column("stable_value", sa.Double()),
        sa.Column("p_value", sa.Double()),
        sa.Column("effect", sa.Double()),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("at", sa.Double(), nullable=False),
    )
    op.create_index("ix_canary_results_canary", "canary_results", ["canary_id", "id"])


def downgrade() -> None:
    raise NotImplementedError("conveyor databases are not downgraded; restore a backup instead")
