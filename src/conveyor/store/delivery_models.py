"""The delivery tables, on the store's declarative ``Base``.

``approvals``: a job of a protected environment that waits, and the decision (who, when,
why). ``build_artifacts``: what ``conveyor/publish@v1`` registered (app, version, content
digest, commit, run). ``deployments``: every deploy of an app to an environment (version,
digest, provider version, previous version, status, reason, timings, approvals, schema
revision). ``deploy_locks``: at most one deployment in progress per environment and app.
``schema_migrations``: the schema revisions ``conveyor/migrate@v1`` applied per
environment. ``gate_verdicts`` (revision 0008): what a blocking gate decided for a run and
an environment.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, Double, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from conveyor.store.models import Base, BigId, Json, repository_fk, run_fk


class ApprovalRow(Base):
    __tablename__ = "approvals"
    __table_args__ = (
        UniqueConstraint("run_id", "job_key", name="uq_approvals_run_job"),
        Index("ix_approvals_status", "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(BigId, run_fk(), nullable=False)
    job_key: Mapped[str] = mapped_column(String(1024), nullable=False)
    environment: Mapped[str] = mapped_column(String(255), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)  # waiting/approved/rejected
    reviewers: Mapped[list[str]] = mapped_column(Json, nullable=False, default=list)
    requested_by: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    requested_at: Mapped[float] = mapped_column(Double, nullable=False)
    wait_until: Mapped[float | None] = mapped_column(Double)  # the wait timer's end
    decided_by: Mapped[str | None] = mapped_column(String(255))
    decided_at: Mapped[float | None] = mapped_column(Double)
    comment: Mapped[str] = mapped_column(Text, nullable=False, default="")


class BuildArtifactRow(Base):
    __tablename__ = "build_artifacts"
    __table_args__ = (
        UniqueConstraint("repository_id", "app", "version", name="uq_build_artifacts_version"),
        Index("ix_build_artifacts_commit", "repository_id", "app", "commit"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    repository_id: Mapped[int] = mapped_column(BigId, repository_fk(), nullable=False)
    app: Mapped[str] = mapped_column(String(255), nullable=False)
    version: Mapped[str] = mapped_column(String(255), nullable=False)
    digest: Mapped[str] = mapped_column(String(80), nullable=False)  # sha256:<hex>
    kind: Mapped[str] = mapped_column(String(16), nullable=False)  # files / image
    location: Mapped[str] = mapped_column(Text, nullable=False)  # blob key or image ref
    size: Mapped[int] = mapped_column(BigId, nullable=False, default=0)
    commit: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    ref: Mapped[str] = mapped_column(String(1024), nullable=False, default="")
    run_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("runs.id", ondelete="SET NULL"))
    job_key: Mapped[str] = mapped_column(String(1024), nullable=False, default="")
    created_at: Mapped[float] = mapped_column(Double, nullable=False)


class DeploymentRow(Base):
    __tablename__ = "deployments"
    __table_args__ = (
        Index("ix_deployments_target", "repository_id", "environment", "app", "started_at"),
        Index("ix_deployments_run", "run_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    repository_id: Mapped[int] = mapped_column(BigId, repository_fk(), nullable=False)
    app: Mapped[str] = mapped_column(String(255), nullable=False)
    environment: Mapped[str] = mapped_column(String(255), nullable=False)
    version: Mapped[str] = mapped_column(String(255), nullable=False)
    artifact_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("build_artifacts.id", ondelete="SET NULL")
    )
    digest: Mapped[str] = mapped_column(String(80), nullable=False, default="")
    provider: Mapped[str] = mapped_column(String(32), nullable=False)
    provider_version: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    previous_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("deployments.id", ondelete="SET NULL")
    )
    previous_version: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    run_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("runs.id", ondelete="SET NULL"))
    job_key: Mapped[str] = mapped_column(String(1024), nullable=False, default="")
    # staging / smoke_failed / live / superseded / rolled_back / failed
    status: Mapped[str] = mapped_column(String(32), nullable=False)
    # deploy (a new version) / rollback (the alias moved back to an earlier one); rev. 0008
    action: Mapped[str] = mapped_column(String(16), nullable=False, default="deploy")
    reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    schema_revision: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    approvals: Mapped[list[dict[str, Any]]] = mapped_column(Json, nullable=False, default=list)
    rollback_on: Mapped[list[str]] = mapped_column(Json, nullable=False, default=list)
    started_at: Mapped[float] = mapped_column(Double, nullable=False)
    switched_at: Mapped[float | None] = mapped_column(Double)
    ended_at: Mapped[float | None] = mapped_column(Double)
    rolled_back_at: Mapped[float | None] = mapped_column(Double)


class DeployLockRow(Base):
    __tablename__ = "deploy_locks"

    repository_id: Mapped[int] = mapped_column(BigId, repository_fk(), primary_key=True)
    environment: Mapped[str] = mapped_column(String(255), primary_key=True)
    app: Mapped[str] = mapped_column(String(255), primary_key=True)
    run_id: Mapped[int] = mapped_column(BigId, run_fk(), nullable=False)
    job_key: Mapped[str] = mapped_column(String(1024), nullable=False, default="")
    acquired_at: Mapped[float] = mapped_column(Double, nullable=False)


class SchemaMigrationRow(Base):
    __tablename__ = "schema_migrations"
    __table_args__ = (
        Index("ix_schema_migrations_env", "repository_id", "environment", "applied_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    repository_id: Mapped[int] = mapped_column(BigId, repository_fk(), nullable=False)
    environment: Mapped[str] = mapped_column(String(255), nullable=False)
    revision: Mapped[str] = mapped_column(String(255), nullable=False)
    previous_revision: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    run_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("runs.id", ondelete="SET NULL"))
    applied_at: Mapped[float] = mapped_column(Double, nullable=False)


class GateVerdictRow(Base):
    """What a blocking gate (``conveyor/schema-gate@v1``) decided for a run and an
    environment: ``conveyor/deploy@v1`` refuses while the newest verdict of a gate of the
    run for its environment is a failure, even when the gate's step was continued past."""

    __tablename__ = "gate_verdicts"
    __table_args__ = (Index("ix_gate_verdicts_run_env", "run_id", "environment"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(BigId, run_fk(), nullable=False)
    job_key: Mapped[str] = mapped_column(String(1024), nullable=False, default="")
    environment: Mapped[str] = mapped_column(String(255), nullable=False)
    gate: Mapped[str] = mapped_column(String(64), nullable=False)  # e.g. schema
    passed: Mapped[bool] = mapped_column(Boolean, nullable=False)
    detail: Mapped[str] = mapped_column(Text, nullable=False, default="")
    checked_at: Mapped[float] = mapped_column(Double, nullable=False)
