"""The stats and flaky window of a repository read from one index: the (repository,
recorded_at) index of test results grows the columns ``conveyor stats`` and the flaky
history read (tier, test, status, duration, run, ingest, commit, branch), so the window's
rows come from the index alone, without a lookup of each row in the table.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05
"""

from __future__ import annotations

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

WINDOW_COLUMNS = [
    "repository_id",
    "recorded_at",
    "tier",
    "test_id",
    "status",
    "duration",
    "run_id",
    "ingest_id",
    "commit",
    "branch",
]


def upgrade() -> None:
    op.drop_index("ix_test_results_repository_recorded", table_name="test_results")
    op.create_index("ix_test_results_repository_recorded", "test_results", WINDOW_COLUMNS)


def downgrade() -> None:
    raise NotImplementedError("conveyor databases are not downgraded; restore a backup instead")
