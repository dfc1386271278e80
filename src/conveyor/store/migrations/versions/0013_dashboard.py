"""Dashboard: who started a run (``runs.actor``, filtered on by the runs page) and the
indexes behind the dashboard's listings over every repository.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("runs", sa.Column("actor", sa.String(255), nullable=False, server_default=""))
    # runs recorded before: github.actor from the run's record (JSON text)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "UPDATE runs SET actor = COALESCE(CAST(record AS jsonb) #>> '{options,repo,actor}', '')"
            " WHERE record IS NOT NULL"
        )
    else:
        op.execute(
            "UPDATE runs SET actor = COALESCE(json_extract(record, '$.options.repo.actor'), '')"
            " WHERE record IS NOT NULL AND json_valid(record)"
        )
    # the runs page over every repository, newest first, and its filters
    op.create_index("ix_runs_created", "runs", ["created_at", "id"])
    op.create_index("ix_runs_actor_created", "runs", ["actor", "created_at"])
    op.create_index("ix_runs_workflow_created", "runs", ["workflow_name", "created_at"])


def downgrade() -> None:
    raise NotImplementedError("conveyor databases are not downgraded; restore a backup instead")
