"""The history tables. Times are POSIX timestamps (seconds); durations are seconds.

Every row belongs to a repository (:class:`RepositoryRow`), directly or through its run,
so one database serves many repositories. Ids are 64-bit on PostgreSQL (SQLite's
INTEGER primary keys are 64-bit already); JSON columns are ``jsonb`` there.

Schema changes go through an Alembic revision in ``store/migrations/versions`` too;
``tests/store/test_store_migrations.py`` checks the two agree. The test-result tables
are in :mod:`conveyor.store.results_models`, the delivery tables in
:mod:`conveyor.store.delivery_models`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Double,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# 64-bit ids; SQLite needs INTEGER itself for an auto-incrementing rowid primary key.
BigId = BigInteger().with_variant(Integer(), "sqlite")
# jsonb on PostgreSQL (indexable, compact), JSON text elsewhere.
Json = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    pass


def run_fk() -> Any:
    """A run's id in a row that belongs to the run (deleted with it)."""
    return ForeignKey("runs.id", ondelete="CASCADE")


def repository_fk() -> Any:
    """A repository's id in a row that belongs to the repository (deleted with it)."""
    return ForeignKey("repositories.id", ondelete="CASCADE")


class RepositoryRow(Base):
    """A repository whose runs are recorded: ``key`` from its remote URL, else its path
    (see :mod:`conveyor.git.identity`)."""

    __tablename__ = "repositories"
    __table_args__ = (UniqueConstraint("key", name="uq_repositories_key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(1024), nullable=False)
    name: Mapped[str] = mapped_column(String(1024), nullable=False)
    url: Mapped[str | None] = mapped_column(String(2048))
    created_at: Mapped[float] = mapped_column(Double, nullable=False)


class WorkflowCounter(Base):
    """The last run number given out per repository and workflow file."""

    __tablename__ = "workflow_counters"

    repository_id: Mapped[int] = mapped_column(BigId, repository_fk(), primary_key=True)
    workflow_path: Mapped[str] = mapped_column(String(1024), primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, nullable=False)


class RunRow(Base):
    __tablename__ = "runs"
    __table_args__ = (
        UniqueConstraint(
            "repository_id", "workflow_path", "run_number", name="uq_runs_repository_number"
        ),
        Index("ix_runs_status", "status"),
        Index("ix_runs_conclusion", "conclusion"),
        # `conveyor runs` (newest first) and the stats window, per repository
        Index("ix_runs_repository_created", "repository_id", "created_at", "id"),
        # listings and trends of one workflow
        Index(
            "ix_runs_repository_workflow_created", "repository_id", "workflow_path", "created_at"
        ),
        # the dashboard's runs page over every repository, and its filters (revision 0013)
        Index("ix_runs_created", "created_at", "id"),
        Index("ix_runs_actor_created", "actor", "created_at"),
        Index("ix_runs_workflow_created", "workflow_name", "created_at"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    repository_id: Mapped[int] = mapped_column(BigId, repository_fk(), nullable=False)
    run_number: Mapped[int] = mapped_column(Integer, nullable=False)
    workflow_path: Mapped[str] = mapped_column(String(1024), nullable=False)
    workflow_name: Mapped[str] = mapped_column(String(1024), nullable=False)
    event: Mapped[str] = mapped_column(String(255), nullable=False)
    ref: Mapped[str] = mapped_column(String(1024), nullable=False, default="")
    sha: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    repository: Mapped[str] = mapped_column(String(1024), nullable=False, default="")
    actor: Mapped[str] = mapped_column(String(255), nullable=False, default="", server_default="")
    status: Mapped[str] = mapped_column(String(32), nullable=False)
    conclusion: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[float] = mapped_column(Double, nullable=False)
    started_at: Mapped[float | None] = mapped_column(Double)
    ended_at: Mapped[float | None] = mapped_column(Double)
    duration: Mapped[float | None] = mapped_column(Double)
    heartbeat_at: Mapped[float | None] = mapped_column(Double)  # the lease's last renewal
    pid: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    host: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    uid: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    attempt: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    # what a resume starts from: the compiled plan and options (JSON, no secret values)
    record: Mapped[str | None] = mapped_column(Text)
    # who runs it: renewed in the background; an expired lease means the process died
    lease_owner: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    lease_expires_at: Mapped[float | None] = mapped_column(Double)
    logs_removed_at: Mapped[float | None] = mapped_column(Double)  # by `conveyor gc`


class JobRow(Base):
    __tablename__ = "jobs"
    __table_args__ = (
        UniqueConstraint("run_id", "job_key", name="uq_jobs_run_key"),
        Index("ix_jobs_job_id_started", "job_id", "started_at"),  # one job's history
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(BigId, run_fk(), nullable=False, index=True)
    job_key: Mapped[str] = mapped_column(String(1024), nullable=False)
    job_id: Mapped[str] = mapped_column(String(255), nullable=False)
    name: Mapped[str] = mapped_column(String(1024), nullable=False, default="")
    matrix: Mapped[dict[str, Any]] = mapped_column(Json, nullable=False, default=dict)
    runs_on: Mapped[list[str]] = mapped_column(Json, nullable=False, default=list)
    status: Mapped[str] = mapped_column(String(32), nullable=False)
    conclusion: Mapped[str | None] = mapped_column(String(32))
    started_at: Mapped[float | None] = mapped_column(Double)
    ended_at: Mapped[float | None] = mapped_column(Double)
    duration: Mapped[float | None] = mapped_column(Double)
    outputs: Mapped[dict[str, str]] = mapped_column(Json, nullable=False, default=dict)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    log_dir: Mapped[str] = mapped_column(String(1024), nullable=False, default="")
    result: Mapped[str | None] = mapped_column(String(32))  # needs.<id>.result
    environment: Mapped[str | None] = mapped_column(String(255))
    environment_url: Mapped[str] = mapped_column(Text, nullable=False, default="")
    needs: Mapped[list[str]] = mapped_column(  # the job ids it waited for (revision 0012)
        Json, nullable=False, default=list, server_default="[]"
    )


class StepRow(Base):
    __tablename__ = "steps"
    __table_args__ = (UniqueConstraint("job_pk", "step_index", name="uq_steps_job_index"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(BigId, run_fk(), nullable=False, index=True)
    job_pk: Mapped[int] = mapped_column(
        BigId, ForeignKey("jobs.id", ondelete="CASCADE"), nullable=False, index=True
    )
    step_index: Mapped[int] = mapped_column(Integer, nullable=False)
    name: Mapped[str] = mapped_column(String(1024), nullable=False, default="")
    status: Mapped[str] = mapped_column(String(32), nullable=False)
    outcome: Mapped[str | None] = mapped_column(String(32))
    conclusion: Mapped[str | None] = mapped_column(String(32))
    exit_code: Mapped[int | None] = mapped_column(Integer)
    started_at: Mapped[float | None] = mapped_column(Double)
    ended_at: Mapped[float | None] = mapped_column(Double)
    duration: Mapped[float | None] = mapped_column(Double)
    outputs: Mapped[dict[str, str]] = mapped_column(Json, nullable=False, default=dict)
    summary: Mapped[str] = mapped_column(Text, nullable=False, default="")
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    log_file: Mapped[str] = mapped_column(String(1024), nullable=False, default="")


class AnnotationRow(Base):
    __tablename__ = "annotations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(BigId, run_fk(), nullable=False, index=True)
    job_key: Mapped[str] = mapped_column(String(1024), nullable=False)
    step_index: Mapped[int | None] = mapped_column(Integer)
    level: Mapped[str] = mapped_column(String(16), nullable=False)
    message: Mapped[str] = mapped_column(Text, nullable=False)
    file: Mapped[str | None] = mapped_column(String(1024))
    line: Mapped[int | None] = mapped_column(Integer)
    col: Mapped[int | None] = mapped_column(Integer)
    title: Mapped[str | None] = mapped_column(Text)


class LogLineRow(Base):
    """One line a job wrote: by run, job, step (None: the job's own lines), in ``seq``
    order (the run's event sequence), with its time and stream."""

    __tablename__ = "log_lines"
    __table_args__ = (
        UniqueConstraint("run_id", "seq", name="uq_log_lines_run_seq"),
        Index("ix_log_lines_run_job_step", "run_id", "job_key", "step_index", "seq"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(BigId, run_fk(), nullable=False)
    job_key: Mapped[str] = mapped_column(String(1024), nullable=False)
    step_index: Mapped[int | None] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(BigInteger, nullable=False)
    at: Mapped[float] = mapped_column(Double, nullable=False)
    stream: Mapped[str] = mapped_column(String(16), nullable=False, default="stdout")
    text: Mapped[str] = mapped_column(Text, nullable=False)


class ScheduleFiringRow(Base):
    """One claimed scheduler slot; the unique key is what keeps a slot from firing twice."""

    __tablename__ = "schedule_firings"
    __table_args__ = (
        UniqueConstraint(
            "repository_id", "workflow_path", "cron", "slot", name="uq_schedule_firings_slot"
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    repository_id: Mapped[int] = mapped_column(BigId, repository_fk(), nullable=False)
    workflow_path: Mapped[str] = mapped_column(String(1024), nullable=False)
    cron: Mapped[str] = mapped_column(String(255), nullable=False)
    slot: Mapped[int] = mapped_column(BigId, nullable=False)  # UTC POSIX second
    fired_at: Mapped[float] = mapped_column(Double, nullable=False)
    ended_at: Mapped[float | None] = mapped_column(Double)
    status: Mapped[str] = mapped_column(String(32), nullable=False)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
