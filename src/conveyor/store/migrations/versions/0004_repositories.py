"""Many repositories in one database; indexes for the dashboard; jsonb and 64-bit ids.

* ``repositories`` (key from the remote URL, else the path). Runs, run numbers, schedule
  firings, test ingests, test results and the quarantine list all belong to one.
* Existing rows are kept: each distinct ``runs.repository`` becomes a repository keyed
  ``legacy:<name>`` (the first conveyor that opens the database from a repository of that
  name adopts it, see :mod:`conveyor.store.repositories`); rows without a run go to the
  legacy repository with the most runs. Test results that named a run which does not
  exist lose that link (there is a foreign key now).
* Indexes: runs by (repository, workflow, created_at), (repository, created_at) and
  conclusion; jobs by (job_id, started_at); test ingests and results by run and results
  by (repository, recorded_at).
* PostgreSQL: ``bigint`` ids, foreign keys and schedule slot (sequences too), ``jsonb``.

Revision ID: 0004
Revises: 0003
Create Date: 2024-07-01
"""

from __future__ import annotations

import time
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
# Constraints added here are named as PostgreSQL names them itself (<table>_<column>_fkey).
LEGACY = "legacy:"

# PostgreSQL: every id and every column holding one, widened to bigint.
_WIDEN = {
    "runs": ("id",),
    "jobs": ("id", "run_id"),
    "steps": ("id", "run_id", "job_pk"),
    "annotations": ("id", "run_id"),
    "schedule_firings": ("id", "slot"),
    "test_ingests": ("id", "run_id"),
    "test_results": ("id", "ingest_id", "run_id"),
}
_JSONB = {"jobs": ("matrix", "runs_on", "outputs"), "steps": ("outputs",)}


def _scalar(sql: str, **params: Any) -> Any:
    return op.get_bind().execute(sa.text(sql), params).scalar()


def _execute(sql: str, **params: Any) -> None:
    op.get_bind().execute(sa.text(sql), params)


def _legacy_repositories() -> int | None:
    """A ``legacy:<name>`` repository per distinct ``runs.repository``; returns the one
    rows without a run go to (None when there is nothing to give one)."""
    now = time.time()
    names = op.get_bind().execute(
        sa.text("SELECT repository, COUNT(*) FROM runs GROUP BY repository ORDER BY 2 DESC, 1")
    )
    insert = "INSERT INTO repositories (key, name, url, created_at) VALUES (:key, :name, NULL, :at)"
    first: str | None = None
    for name, _count in names.all():
        _execute(insert, key=LEGACY + str(name), name=str(name) or "legacy", at=now)
        first = first or LEGACY + str(name)
    if first is None:
        orphans = sum(
            int(_scalar(f"SELECT COUNT(*) FROM {table}") or 0)
            for table in ("schedule_firings", "test_ingests", "test_quarantine")
        )
        if not orphans:
            return None
        first = LEGACY
        _execute(insert, key=LEGACY, name="legacy", at=now)
    return int(_scalar("SELECT id FROM repositories WHERE key = :key", key=first))


def _runs() -> None:
    op.add_column("runs", sa.Column("repository_id", BigId, nullable=True))
    _execute(
        "UPDATE runs SET repository_id = "
        "(SELECT r.id FROM repositories r WHERE r.key = :legacy || runs.repository)",
        legacy=LEGACY,
    )
    with op.batch_alter_table("runs", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.alter_column("repository_id", existing_type=BigId, nullable=False)
        batch.create_foreign_key(
            "runs_repository_id_fkey", "repositories", ["repository_id"], ["id"], ondelete="CASCADE"
        )
        batch.drop_constraint("uq_runs_workflow_number", type_="unique")
        batch.create_unique_constraint(
            "uq_runs_repository_number", ["repository_id", "workflow_path", "run_number"]
        )
    op.create_index("ix_runs_conclusion", "runs", ["conclusion"])
    op.create_index("ix_runs_repository_created", "runs", ["repository_id", "created_at", "id"])
    op.create_index(
        "ix_runs_repository_workflow_created",
        "runs",
        ["repository_id", "workflow_path", "created_at"],
    )


def _counters() -> None:
    """Run numbers per repository and workflow: each continues from its highest run."""
    op.drop_table("workflow_counters")
    op.create_table(
        "workflow_counters",
        sa.Column(
            "repository_id",
            BigId,
            sa.ForeignKey("repositories.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("workflow_path", sa.String(1024), primary_key=True),
        sa.Column("last_number", sa.Integer(), nullable=False),
    )
    _execute(
        "INSERT INTO workflow_counters (repository_id, workflow_path, last_number) "
        "SELECT repository_id, workflow_path, MAX(run_number) FROM runs "
        "GROUP BY repository_id, workflow_path"
    )


def _add_repository(table: str, fill_sql: str, default: int | None) -> None:
    op.add_column(table, sa.Column("repository_id", BigId, nullable=True))
    _execute(fill_sql.format(table=table), default=default)


def _schedule_firings(default: int | None) -> None:
    _add_repository("schedule_firings", "UPDATE {table} SET repository_id = :default", default)
    with op.batch_alter_table("schedule_firings") as batch:
        batch.alter_column("repository_id", existing_type=BigId, nullable=False)
        batch.create_foreign_key(
            "schedule_firings_repository_id_fkey",
            "repositories",
            ["repository_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch.drop_constraint("uq_schedule_firings_slot", type_="unique")
        batch.create_unique_constraint(
            "uq_schedule_firings_slot", ["repository_id", "workflow_path", "cron", "slot"]
        )


def _test_results(default: int | None) -> None:
    for table in ("test_ingests", "test_results"):  # a run that does not exist: no link
        _execute(
            f"UPDATE {table} SET run_id = NULL WHERE run_id IS NOT NULL AND NOT EXISTS "
            f"(SELECT 1 FROM runs WHERE runs.id = {table}.run_id)"
        )
    _add_repository(
        "test_ingests",
        "UPDATE {table} SET repository_id = COALESCE("
        "(SELECT runs.repository_id FROM runs WHERE runs.id = {table}.run_id), :default)",
        default,
    )
    _add_repository(
        "test_results",
        "UPDATE {table} SET repository_id = "
        "(SELECT i.repository_id FROM test_ingests i WHERE i.id = {table}.ingest_id)",
        default,
    )
    for table in ("test_ingests", "test_results"):
        with op.batch_alter_table(table) as batch:
            batch.alter_column("repository_id", existing_type=BigId, nullable=False)
            batch.create_foreign_key(
                f"{table}_repository_id_fkey",
                "repositories",
                ["repository_id"],
                ["id"],
                ondelete="CASCADE",
            )
            batch.create_foreign_key(
                f"{table}_run_id_fkey", "runs", ["run_id"], ["id"], ondelete="CASCADE"
            )
        op.create_index(f"ix_{table}_run_id", table, ["run_id"])
    op.create_index(
        "ix_test_results_repository_recorded", "test_results", ["repository_id", "recorded_at"]
    )


def _quarantine(default: int | None) -> None:
    """Quarantine per repository (the key changes, so the small table is rebuilt)."""
    rows = op.get_bind().execute(sa.text("SELECT * FROM test_quarantine")).mappings().all()
    op.drop_table("test_quarantine")
    table = op.create_table(
        "test_quarantine",
        sa.Column(
            "repository_id",
            BigId,
            sa.ForeignKey("repositories.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("test_id", sa.String(2048), primary_key=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("added_at", sa.Double(), nullable=False),
        sa.Column("added_by", sa.String(255), nullable=False),
        sa.Column("automatic", sa.Boolean(), nullable=False),
    )
    if rows and table is not None:
        op.bulk_insert(table, [{**row, "repository_id": default} for row in rows])


def _postgresql_types() -> None:
    for table, columns in _WIDEN.items():
        for column in columns:
            op.alter_column(table, column, type_=sa.BigInteger())
        sequence = _scalar("SELECT pg_get_serial_sequence(:t, 'id')", t=table)
        if sequence:
            _execute(f"ALTER SEQUENCE {sequence} AS bigint")
    for table, columns in _JSONB.items():
        for column in columns:
            op.alter_column(
                table,
                column,
                type_=JSONB(),
                existing_nullable=False,
                postgresql_using=f"{column}::jsonb",
            )


def upgrade() -> None:
    op.create_table(
        "repositories",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(1024), nullable=False),
        sa.Column("name", sa.String(1024), nullable=False),
        sa.Column("url", sa.String(2048), nullable=True),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.UniqueConstraint("key", name="uq_repositories_key"),
    )
    default = _legacy_repositories()
    _runs()
    _counters()
    _schedule_firings(default)
    _test_results(default)
    _quarantine(default)
    op.create_index("ix_jobs_job_id_started", "jobs", ["job_id", "started_at"])
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_types()


def downgrade() -> None:
    raise NotImplementedError(
        "revision 0004 merges history into repositories and cannot be undone; "
        "restore a backup taken before `conveyor db upgrade`"
    )
