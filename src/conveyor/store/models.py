"""The history tables. Times are POSIX timestamps (seconds); durations are seconds.

Schema changes go through an Alembic revision in ``store/migrations/versions`` too;
``tests/store/test_migrations.py`` checks the two agree.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Double, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class WorkflowCounter(Base):
    """The last run number given out per workflow file."""

    __tablename__ = "workflow_counters"

    workflow_path: Mapped[str] = mapped_column(String(1024), primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, nullable=False)


class RunRow(Base):
    __tablename__ = "runs"
    __table_args__ = (
        UniqueConstraint("workflow_path", "run_number", name="uq_runs_workflow_number"),
        Index("ix_runs_status", "status"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_number: Mapped[int] = mapped_column(Integer, nullable=False)
    workflow_path: Mapped[str] = mapped_column(String(1024), nullable=False)
    workflow_name: Mapped[str] = mapped_column(String(1024), nullable=False)
    event: Mapped[str] = mapped_column(String(255), nullable=False)
    ref: Mapped[str] = mapped_column(String(1024), nullable=False, default="")
    sha: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    repository: Mapped[str] = mapped_column(String(1024), nullable=False, default="")
    status: Mapped[str] = mapped_column(String(32), nullable=False)
    conclusion: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[float] = mapped_column(Double, nullable=False)
    started_at: Mapped[float | None] = mapped_column(Double)
    ended_at: Mapped[float | None] = mapped_column(Double)
    duration: Mapped[float | None] = mapped_column(Double)
    heartbeat_at: Mapped[float | None] = mapped_column(Double)
    pid: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    host: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")


class JobRow(Base):
    __tablename__ = "jobs"
    __table_args__ = (UniqueConstraint("run_id", "job_key", name="uq_jobs_run_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(
        ForeignKey("runs.id", ondelete="CASCADE"), nullable=False, index=True
    )
    job_key: Mapped[str] = mapped_column(String(1024), nullable=False)
    job_id: Mapped[str] = mapped_column(String(255), nullable=False)
    name: Mapped[str] = mapped_column(String(1024), nullable=False, default="")
    matrix: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    runs_on: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    status: Mapped[str] = mapped_column(String(32), nullable=False)
    conclusion: Mapped[str | None] = mapped_column(String(32))
    started_at: Mapped[float | None] = mapped_column(Double)
    ended_at: Mapped[float | None] = mapped_column(Double)
    duration: Mapped[float | None] = mapped_column(Double)
    outputs: Mapped[dict[str, str]] = mapped_column(JSON, nullable=False, default=dict)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    log_dir: Mapped[str] = mapped_column(String(1024), nullable=False, default="")


class StepRow(Base):
    __tablename__ = "steps"
    __table_args__ = (UniqueConstraint("job_pk", "step_index", name="uq_steps_job_index"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(
        ForeignKey("runs.id", ondelete="CASCADE"), nullable=False, index=True
    )
    job_pk: Mapped[int] = mapped_column(
        ForeignKey("jobs.id", ondelete="CASCADE"), nullable=False, index=True
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
    outputs: Mapped[dict[str, str]] = mapped_column(JSON, nullable=False, default=dict)
    summary: Mapped[str] = mapped_column(Text, nullable=False, default="")
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    log_file: Mapped[str] = mapped_column(String(1024), nullable=False, default="")


class AnnotationRow(Base):
    __tablename__ = "annotations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(
        ForeignKey("runs.id", ondelete="CASCADE"), nullable=False, index=True
    )
    job_key: Mapped[str] = mapped_column(String(1024), nullable=False)
    step_index: Mapped[int | None] = mapped_column(Integer)
    level: Mapped[str] = mapped_column(String(16), nullable=False)
    message: Mapped[str] = mapped_column(Text, nullable=False)
    file: Mapped[str | None] = mapped_column(String(1024))
    line: Mapped[int | None] = mapped_column(Integer)
    col: Mapped[int | None] = mapped_column(Integer)
    title: Mapped[str | None] = mapped_column(Text)
