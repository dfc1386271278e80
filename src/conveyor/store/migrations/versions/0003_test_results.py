"""Test results: ingests, per-test-case results and the quarantine list.

Revision ID: 0003
Revises: 0002
Create Date: 2024-06-20
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "test_ingests",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("tier", sa.String(255), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("commit", sa.String(64), nullable=False),
        sa.Column("branch", sa.String(255), nullable=False),
        sa.Column("sources", sa.Text(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
    )
    op.create_index("ix_test_ingests_created_at", "test_ingests", ["created_at"])
    op.create_table(
        "test_results",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "ingest_id",
            sa.Integer(),
            sa.ForeignKey("test_ingests.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("recorded_at", sa.Double(), nullable=False),
        sa.Column("tier", sa.String(255), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("commit", sa.String(64), nullable=False),
        sa.Column("branch", sa.String(255), nullable=False),
        sa.Column("test_id", sa.String(2048), nullable=False),
        sa.Column("name", sa.String(2048), nullable=False),
        sa.Column("classname", sa.String(2048), nullable=False),
        sa.Column("suite", sa.String(2048), nullable=False),
        sa.Column("file", sa.String(2048), nullable=True),
        sa.Column("line", sa.Integer(), nullable=True),
        sa.Column("duration", sa.Double(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("retries", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("output", sa.Text(), nullable=False),
    )
    op.create_index("ix_test_results_ingest_id", "test_results", ["ingest_id"])
    op.create_index("ix_test_results_test_id", "test_results", ["test_id"])
    op.create_index("ix_test_results_commit", "test_results", ["commit"])
    op.create_index("ix_test_results_recorded_at", "test_results", ["recorded_at"])
    op.create_table(
        "test_quarantine",
        sa.Column("test_id", sa.String(2048), primary_key=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("added_at", sa.Double(), nullable=False),
        sa.Column("added_by", sa.String(255), nullable=False),
        sa.Column("automatic", sa.Boolean(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("test_quarantine")
    op.drop_table("test_results")
    op.drop_table("test_ingests")
