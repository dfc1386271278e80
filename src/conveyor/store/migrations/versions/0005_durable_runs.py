"""Durable runs: leases, the run record a resume starts from, job results, log lines.

* ``runs``: ``uid`` (unique id of the run across databases), ``attempt``, ``record`` (the
  compiled plan and options as JSON, without secret values), ``lease_owner`` and
  ``lease_expires_at`` (renewed in the background by the process running it;
  ``heartbeat_at`` is now the lease's last renewal), ``logs_removed_at`` (by ``gc``).
* ``jobs``: ``result`` (``needs.<id>.result``), ``environment`` and ``environment_url``.
* ``log_lines``: every line a job wrote, with run, job, step, sequence number, time and
  stream (logs were files before; existing runs keep their files).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.add_column("runs", sa.Column("uid", sa.String(64), nullable=False, server_default=""))
    op.add_column("runs", sa.Column("attempt", sa.Integer(), nullable=False, server_default="1"))
    op.add_column("runs", sa.Column("record", sa.Text(), nullable=True))
    op.add_column(
        "runs", sa.Column("lease_owner", sa.String(64), nullable=False, server_default="")
    )
    op.add_column("runs", sa.Column("lease_expires_at", sa.Double(), nullable=True))
    op.add_column("runs", sa.Column("logs_removed_at", sa.Double(), nullable=True))
    op.add_column("jobs", sa.Column("result", sa.String(32), nullable=True))
    op.add_column("jobs", sa.Column("environment", sa.String(255), nullable=True))
    op.add_column(
        "jobs", sa.Column("environment_url", sa.Text(), nullable=False, server_default="")
    )
    op.create_table(
        "log_lines",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("run_id", BigId, sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
        sa.Column("job_key", sa.String(1024), nullable=False),
        sa.Column("step_index", sa.Integer(), nullable=True),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("at", sa.Double(), nullable=False),
        sa.Column("stream", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.UniqueConstraint("run_id", "seq", name="uq_log_lines_run_seq"),
    )
    op.create_index(
        "ix_log_lines_run_job_step", "log_lines", ["run_id", "job_key", "step_index", "seq"]
    )


def downgrade() -> None:
    raise NotImplementedError("conveyor databases are not downgraded; restore a backup instead")
