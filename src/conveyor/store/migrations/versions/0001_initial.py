"""Initial history schema: workflow counters, runs, jobs, steps, annotations.

Revision ID: 0001
Revises:
Create Date: 2024-06-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _timing() -> list[sa.Column[float]]:
    return [
        sa.Column("started_at", sa.Double(), nullable=True),
        sa.Column("ended_at", sa.Double(), nullable=True),
        sa.Column("duration", sa.Double(), nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        "workflow_counters",
        sa.Column("workflow_path", sa.String(1024), primary_key=True),
        sa.Column("last_number", sa.Integer(), nullable=False),
    )
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("run_number", sa.Integer(), nullable=False),
        sa.Column("workflow_path", sa.String(1024), nullable=False),
        sa.Column("workflow_name", sa.String(1024), nullable=False),
        sa.Column("event", sa.String(255), nullable=False),
        sa.Column("ref", sa.String(1024), nullable=False),
        sa.Column("sha", sa.String(64), nullable=False),
        sa.Column("repository", sa.String(1024), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("conclusion", sa.String(32), nullable=True),
        sa.Column("created_at", sa.Double(), nullable=False),
        *_timing(),
        sa.Column("heartbeat_at", sa.Double(), nullable=True),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.UniqueConstraint("workflow_path", "run_number", name="uq_runs_workflow_number"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_runs_status", "runs", ["status"])
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "run_id", sa.Integer(), sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("job_key", sa.String(1024), nullable=False),
        sa.Column("job_id", sa.String(255), nullable=False),
        sa.Column("name", sa.String(1024), nullable=False),
        sa.Column("matrix", sa.JSON(), nullable=False),
        sa.Column("runs_on", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("conclusion", sa.String(32), nullable=True),
        *_timing(),
        sa.Column("outputs", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("log_dir", sa.String(1024), nullable=False),
        sa.UniqueConstraint("run_id", "job_key", name="uq_jobs_run_key"),
    )
    op.create_index("ix_jobs_run_id", "jobs", ["run_id"])
    op.create_table(
        "steps",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "run_id", sa.Integer(), sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column(
            "job_pk", sa.Integer(), sa.ForeignKey("jobs.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("step_index", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(1024), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("outcome", sa.String(32), nullable=True),
        sa.Column("conclusion", sa.String(32), nullable=True),
        sa.Column("exit_code", sa.Integer(), nullable=True),
        *_timing(),
        sa.Column("outputs", sa.JSON(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("log_file", sa.String(1024), nullable=False),
        sa.UniqueConstraint("job_pk", "step_index", name="uq_steps_job_index"),
    )
    op.create_index("ix_steps_run_id", "steps", ["run_id"])
    op.create_index("ix_steps_job_pk", "steps", ["job_pk"])
    op.create_table(
        "annotations",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "run_id", sa.Integer(), sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("job_key", sa.String(1024), nullable=False),
        sa.Column("step_index", sa.Integer(), nullable=True),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("file", sa.String(1024), nullable=True),
        sa.Column("line", sa.Integer(), nullable=True),
        sa.Column("col", sa.Integer(), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
    )
    op.create_index("ix_annotations_run_id", "annotations", ["run_id"])


def downgrade() -> None:
    for table in ("annotations", "steps", "jobs", "runs", "workflow_counters"):
        op.drop_table(table)
