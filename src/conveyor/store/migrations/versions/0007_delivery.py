"""Delivery: approvals, build artifacts, deployments, deploy locks, schema migrations.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Json = sa.JSON().with_variant(JSONB(), "postgresql")


def _run(ondelete: str = "CASCADE") -> sa.ForeignKey:
    return sa.ForeignKey("runs.id", ondelete=ondelete)


def _repository() -> sa.ForeignKey:
    return sa.ForeignKey("repositories.id", ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "approvals",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("run_id", BigId, _run(), nullable=False),
        sa.Column("job_key", sa.String(1024), nullable=False),
        sa.Column("environment", sa.String(255), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reviewers", Json, nullable=False),
        sa.Column("requested_by", sa.String(255), nullable=False),
        sa.Column("requested_at", sa.Double(), nullable=False),
        sa.Column("wait_until", sa.Double(), nullable=True),
        sa.Column("decided_by", sa.String(255), nullable=True),
        sa.Column("decided_at", sa.Double(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.UniqueConstraint("run_id", "job_key", name="uq_approvals_run_job"),
    )
    op.create_index("ix_approvals_status", "approvals", ["status"])
    op.create_table(
        "build_artifacts",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("repository_id", BigId, _repository(), nullable=False),
        sa.Column("app", sa.String(255), nullable=False),
        sa.Column("version", sa.String(255), nullable=False),
        sa.Column("digest", sa.String(80), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("location", sa.Text(), nullable=False),
        sa.Column("size", BigId, nullable=False),
        sa.Column("commit", sa.String(64), nullable=False),
        sa.Column("ref", sa.String(1024), nullable=False),
        sa.Column("run_id", BigId, _run("SET NULL"), nullable=True),
        sa.Column("job_key", sa.String(1024), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.UniqueConstraint("repository_id", "app", "version", name="uq_build_artifacts_version"),
    )
    op.create_index(
        "ix_build_artifacts_commit", "build_artifacts", ["repository_id", "app", "commit"]
    )
    op.create_table(
        "deployments",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("repository_id", BigId, _repository(), nullable=False),
        sa.Column("app", sa.String(255), nullable=False),
        sa.Column("environment", sa.String(255), nullable=False),
        sa.Column("version", sa.String(255), nullable=False),
        sa.Column(
            "artifact_id",
            BigId,
            sa.ForeignKey("build_artifacts.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("digest", sa.String(80), nullable=False),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("provider_version", sa.String(255), nullable=False),
        sa.Column(
            "previous_id",
            BigId,
            sa.ForeignKey("deployments.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("previous_version", sa.String(255), nullable=False),
        sa.Column("run_id", BigId, _run("SET NULL"), nullable=True),
        sa.Column("job_key", sa.String(1024), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("schema_revision", sa.String(255), nullable=False),
        sa.Column("approvals", Json, nullable=False),
        sa.Column("rollback_on", Json, nullable=False),
        sa.Column("started_at", sa.Double(), nullable=False),
        sa.Column("switched_at", sa.Double(), nullable=True),
        sa.Column("ended_at", sa.Double(), nullable=True),
        sa.Column("rolled_back_at", sa.Double(), nullable=True),
    )
    op.create_index(
        "ix_deployments_target",
        "deployments",
        ["repository_id", "environment", "app", "started_at"],
    )
    op.create_index("ix_deployments_run", "deployments", ["run_id"])
    op.create_table(
        "deploy_locks",
        sa.Column("repository_id", BigId, _repository(), primary_key=True),
        sa.Column("environment", sa.String(255), primary_key=True),
        sa.Column("app", sa.String(255), primary_key=True),
        sa.Column("run_id", BigId, _run(), nullable=False),
        sa.Column("job_key", sa.String(1024), nullable=False),
        sa.Column("acquired_at", sa.Double(), nullable=False),
    )
    op.create_table(
        "schema_migrations",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("repository_id", BigId, _repository(), nullable=False),
        sa.Column("environment", sa.String(255), nullable=False),
        sa.Column("revision", sa.String(255), nullable=False),
        sa.Column("previous_revision", sa.String(255), nullable=False),
        sa.Column("run_id", BigId, _run("SET NULL"), nullable=True),
        sa.Column("applied_at", sa.Double(), nullable=False),
    )
    op.create_index(
        "ix_schema_migrations_env",
        "schema_migrations",
        ["repository_id", "environment", "applied_at"],
    )


def downgrade() -> None:
    raise NotImplementedError("conveyor databases are not downgraded; restore a backup instead")
