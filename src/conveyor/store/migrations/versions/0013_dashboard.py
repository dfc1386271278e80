"""Dashboard: who started a run (``runs.actor``, filtered on by the runs page) and the
indexes behind the dashboard's listings over every repository.

Revision ID: 0013
Revises: 0008
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "runs", sa.Column("actor", sa.String(255), nullable=False, server_default="")
    )
    # the runs page over every repository, newest first, and its filters
    op.create_index("ix_runs_created", "runs", ["created_at", "id"])
    op.create_index("ix_runs_actor_created", "runs", ["actor", "created_at"])
    op.create_index("ix_runs_workflow_created", "runs", ["workflow_name", "created_at"])


def downgrade() -> None:
    raise NotImplementedError("conveyor databases are not downgraded; restore a backup instead")
