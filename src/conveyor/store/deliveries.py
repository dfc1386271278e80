"""The delivery records: build artifacts, deployments, deploy locks, schema revisions per
environment, gate verdicts, and the approvals a deployment carries.

:class:`DeliveryStore` is the one API over the delivery tables
(:mod:`conveyor.store.delivery_models`); the deploy procedure
(:mod:`conveyor.delivery.deploy`), the built-in actions and the ``artifacts``,
``deployments`` and ``rollback`` commands all go through it.

* **Artifacts** are registered once per (repository, app, version); the version name is
  immutable, so registering it again with another digest is refused.
* **Deployments**: one row per move of an environment's live alias -- a deploy (status
  ``staging`` -> ``live``, or ``smoke_failed``/``failed``) or a rollback (``action``
  ``rollback``). Exactly one row per (repository, environment, app) is ``live``; the one it
  replaced becomes ``superseded``, or ``rolled_back`` when a rollback replaced it.
* **Deploy locks**: at most one deployment in progress per (repository, environment,
  app). A lock whose holder job has finished, or whose run's process is gone, is stale
  and taken over.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, and_, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from conveyor.engine.masking import Masker
from conveyor.store.database import StateDatabase
from conveyor.store.delivery_models import (
    BuildArtifactRow,
    DeployLockRow,
    DeploymentRow,
    GateVerdictRow,
    SchemaMigrationRow,
)
from conveyor.store.models import JobRow, RunRow
from conveyor.store.recovery import lease_is_live

# deployment statuses
STAGING = "staging"  # staged and being smoke-tested; the alias has not moved
SMOKE_FAILED = "smoke_failed"  # the staged version failed its smoke checks; discarded
LIVE = "live"  # the alias points at it
SUPERSEDED = "superseded"  # was live, a later deployment replaced it
ROLLED_BACK = "rolled_back"  # was live, a rollback moved the alias back past it
FAILED = "failed"  # could not be deployed (provider error), or verify failed and stayed
DEPLOY, ROLLBACK = "deploy", "rollback"  # DeploymentRow.action

SUCCEEDED = (LIVE, SUPERSEDED, ROLLED_BACK)  # went live at some point
STALE_LOCK_SECONDS = 120.0  # a holder on another host with no lease, silent this long


class VersionConflict(ValueError):
    """An app's version name is registered already with different content."""


@dataclass(frozen=True, slots=True)
class BuildArtifact:
    id: int
    repository_id: int
    app: str
    version: str
    digest: str  # sha256:<hex>
    kind: str  # files / image
    location: str  # files: the build manifest's key in the artifact store; image: the ref
    size: int
    commit: str
    ref: str
    run_id: int | None
    job_key: str
    created_at: float
    deployed: tuple[str, ...] = ()  # environments where it is live now


@dataclass(frozen=True, slots=True)
class Deployment:
    id: int
    repository_id: int
    app: str
    environment: str
    version: str
    artifact_id: int | None
    digest: str
    provider: str
    provider_version: str
    previous_id: int | None
    previous_version: str
    run_id: int | None
    job_key: str
    status: str
    action: str
    reason: str
    schema_revision: str
    approvals: list[dict[str, Any]]
    rollback_on: list[str]
    started_at: float
    switched_at: float | None
    ended_at: float | None
    rolled_back_at: float | None
    commit: str = ""  # the artifact's commit, when the artifact is known


@dataclass(frozen=True, slots=True)
class NewDeployment:
    repository_id: int
    app: str
    environment: str
    version: str
    digest: str
    provider: str
    artifact_id: int | None = None
    run_id: int | None = None
    job_key: str = ""
    action: str = DEPLOY
    reason: str = ""
    schema_revision: str = ""
    approvals: Sequence[dict[str, Any]] = ()
    rollback_on: Sequence[str] = ()
    provider_version: str = ""  # known up front for a rollback


@dataclass(frozen=True, slots=True)
class LockHolder:
    run_id: int
    job_key: str
    acquired_at: float


@dataclass(frozen=True, slots=True)
class GateVerdict:
    run_id: int
    job_key: str
    environment: str
    gate: str
    passed: bool
    detail: str
    checked_at: float


@dataclass(frozen=True, slots=True)
class SchemaRevision:
    environment: str
    revision: str
    previous_revision: str
    run_id: int | None
    applied_at: float


@dataclass(slots=True)
class _Filter:
    environment: str | None = None
    app: str | None = None
    extra: list[Any] = field(default_factory=list)


def _artifact(row: BuildArtifactRow, deployed: Sequence[str] = ()) -> BuildArtifact:
    return BuildArtifact(
        row.id, row.repository_id, row.app, row.version, row.digest, row.kind, row.location,
        int(row.size), row.commit, row.ref, row.run_id, row.job_key, row.created_at,
        tuple(deployed),
    )  # fmt: skip


def _deployment(row: DeploymentRow, commit: str | None = None) -> Deployment:
    return Deployment(
        row.id, row.repository_id, row.app, row.environment, row.version, row.artifact_id,
        row.digest, row.provider, row.provider_version, row.previous_id, row.previous_version,
        row.run_id, row.job_key, row.status, row.action, row.reason, row.schema_revision,
        list(row.approvals or []), list(row.rollback_on or []), row.started_at,
        row.switched_at, row.ended_at, row.rolled_back_at, commit or "",
    )  # fmt: skip


class DeliveryStore(StateDatabase):
    """The delivery tables of the history database of ``state_dir`` (or at ``url``)."""

    def __init__(
        self,
        state_dir: str | os.PathLike[str] | None = None,
        url: str | None = None,
        *,
        masker: Masker | None = None,
    ):
        super().__init__(state_dir, url)
        self._masker = masker
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        self._write = sessionmaker(self.writer, expire_on_commit=False)

    def _mask(self, text: str) -> str:
        """Reasons and details are stored masked (a check may name a secret)."""
        return self._masker.mask(text) if self._masker is not None else text

    # ------------------------------------------------------------------ runs

    def run_repository(self, run_id: int) -> int | None:
        """The repository id of run ``run_id`` (None: no such run)."""
        with self._read() as session:
            found = session.scalar(select(RunRow.repository_id).where(RunRow.id == run_id))
        return None if found is None else int(found)

    # ------------------------------------------------------------------ artifacts

    def register_artifact(
        self,
        repository_id: int,
        *,
        app: str,
        version: str,
        digest: str,
        kind: str,
        location: str,
        size: int = 0,
        commit: str = "",
        ref: str = "",
        run_id: int | None = None,
        job_key: str = "",
    ) -> BuildArtifact:
        """Record a build; the same (app, version) again with the same digest returns the
        existing record, with another digest raises :class:`VersionConflict`."""
        row = BuildArtifactRow(
            repository_id=repository_id, app=app, version=version, digest=digest, kind=kind,
            location=location, size=size, commit=commit, ref=ref, run_id=run_id,
            job_key=job_key, created_at=time.time(),
        )  # fmt: skip
        try:
            with self._write.begin() as session:
                session.add(row)
                session.flush()
                return _artifact(row)
        except IntegrityError:
            existing = self.artifact(repository_id, app, version)
            if existing is None:
                raise
            if existing.digest != digest:
                raise VersionConflict(
                    f"version {version!r} of app {app!r} is registered already with digest "
                    f"{existing.digest} (run {existing.run_id}); versions are immutable: "
                    "publish under another version name"
                ) from None
            return existing

    def artifact(self, repository_id: int, app: str, version: str) -> BuildArtifact | None:
        with self._read() as session:
            row = session.scalar(
                select(BuildArtifactRow).where(
                    BuildArtifactRow.repository_id == repository_id,
                    BuildArtifactRow.app == app,
                    BuildArtifactRow.version == version,
                )
            )
            return None if row is None else _artifact(row)

    def artifact_by_id(self, artifact_id: int) -> BuildArtifact | None:
        with self._read() as session:
            row = session.get(BuildArtifactRow, artifact_id)
            return None if row is None else _artifact(row)

    def artifacts(
        self,
        repository_id: int | None,
        *,
        app: str | None = None,
        environment: str | None = None,
        limit: int = 50,
    ) -> list[BuildArtifact]:
        """Builds, newest first, each with the environments it is live in. With
        ``environment``: only builds ever deployed there (successfully)."""
        query = select(BuildArtifactRow)
        if repository_id is not None:
            query = query.where(BuildArtifactRow.repository_id == repository_id)
        if app is not None:
            query = query.where(BuildArtifactRow.app == app)
        if environment is not None:
            deployed = select(DeploymentRow.artifact_id).where(
                DeploymentRow.environment == environment,
                DeploymentRow.status.in_(SUCCEEDED),
                DeploymentRow.artifact_id.is_not(None),
            )
            query = query.where(BuildArtifactRow.id.in_(deployed))
        query = query.order_by(BuildArtifactRow.created_at.desc(), BuildArtifactRow.id.desc())
        with self._read() as session:
            rows = session.scalars(query.limit(limit)).all()
            ids = [row.id for row in rows]
            live: dict[int, list[str]] = {}
            if ids:
                found = session.execute(
                    select(DeploymentRow.artifact_id, DeploymentRow.environment)
                    .where(DeploymentRow.artifact_id.in_(ids), DeploymentRow.status == LIVE)
                    .order_by(DeploymentRow.environment)
                )
                for artifact_id, env in found:
                    if artifact_id is not None:
                        live.setdefault(int(artifact_id), []).append(str(env))
        return [_artifact(row, live.get(row.id, ())) for row in rows]

    def deployed_artifact(
        self, repository_id: int, app: str, environment: str, commit: str
    ) -> BuildArtifact | None:
        """The build of ``commit`` that is live in ``environment``, else the one most
        recently deployed there successfully (the one to promote)."""
        with self._read() as session:
            rows = session.execute(
                select(DeploymentRow.status, BuildArtifactRow)
                .join(BuildArtifactRow, BuildArtifactRow.id == DeploymentRow.artifact_id)
                .where(
                    DeploymentRow.repository_id == repository_id,
                    DeploymentRow.app == app,
                    DeploymentRow.environment == environment,
                    DeploymentRow.status.in_(SUCCEEDED),
                    BuildArtifactRow.commit == commit,
                )
                .order_by(DeploymentRow.started_at.desc(), DeploymentRow.id.desc())
            ).all()
        live = [row for status, row in rows if status == LIVE]
        chosen = live[0] if live else (rows[0][1] if rows else None)
        return None if chosen is None else _artifact(chosen)

    # ------------------------------------------------------------------ deployments

    def begin_deployment(self, new: NewDeployment, status: str = STAGING) -> Deployment:
        """Record a deployment starting now (the live one is its ``previous``)."""
        current = self.live(new.repository_id, new.environment, new.app)
        row = DeploymentRow(
            repository_id=new.repository_id, app=new.app, environment=new.environment,
            version=new.version, artifact_id=new.artifact_id, digest=new.digest,
            provider=new.provider, provider_version=new.provider_version,
            previous_id=current.id if current else None,
            previous_version=current.version if current else "",
            run_id=new.run_id, job_key=new.job_key, status=status, action=new.action,
            reason=self._mask(new.reason), schema_revision=new.schema_revision,
            approvals=list(new.approvals), rollback_on=list(new.rollback_on),
            started_at=time.time(),
        )  # fmt: skip
        with self._write.begin() as session:
            session.add(row)
            session.flush()
            return _deployment(row)

    def finish_deployment(
        self,
        deployment_id: int,
        status: str,
        *,
        reason: str | None = None,
        provider_version: str | None = None,
    ) -> None:
        """A deployment that never went live ended (``smoke_failed`` or ``failed``)."""
        values: dict[str, Any] = {"status": status, "ended_at": time.time()}
        if reason is not None:
            values["reason"] = self._mask(reason)
        if provider_version is not None:
            values["provider_version"] = provider_version
        with self._write.begin() as session:
            session.execute(
                update(DeploymentRow).where(DeploymentRow.id == deployment_id).values(**values)
            )

    def went_live(
        self,
        deployment_id: int,
        provider_version: str,
        *,
        replaced_status: str = SUPERSEDED,
        replaced_reason: str = "",
    ) -> None:
        """The alias now points at this deployment: it becomes ``live``, the one that was
        live becomes ``replaced_status`` (``superseded``, or ``rolled_back`` -- with
        ``replaced_reason`` -- when this is a rollback)."""
        now = time.time()
        with self._write.begin() as session:
            row = session.get(DeploymentRow, deployment_id)
            if row is None:
                raise KeyError(deployment_id)
            # a replaced deployment keeps when its own procedure ended (if it did)
            ended = func.coalesce(DeploymentRow.ended_at, now)
            replaced: dict[str, Any] = {"status": replaced_status, "ended_at": ended}
            if replaced_status == ROLLED_BACK:
                replaced["rolled_back_at"] = now
                replaced["reason"] = self._mask(replaced_reason)
            session.execute(
                update(DeploymentRow)
                .where(
                    DeploymentRow.repository_id == row.repository_id,
                    DeploymentRow.environment == row.environment,
                    DeploymentRow.app == row.app,
                    DeploymentRow.status == LIVE,
                    DeploymentRow.id != deployment_id,
                )
                .values(**replaced)
            )
            row.status, row.provider_version = LIVE, provider_version
            row.switched_at = now
            if row.action == ROLLBACK:
                row.ended_at = now

    def mark_failed_live(self, deployment_id: int, reason: str) -> None:
        """A live deployment whose checks failed but that could not be rolled back: it
        stays live, the reason says why."""
        with self._write.begin() as session:
            session.execute(
                update(DeploymentRow)
                .where(DeploymentRow.id == deployment_id)
                .values(reason=self._mask(reason), ended_at=time.time())
            )

    def complete(self, deployment_id: int) -> None:
        """A deploy's procedure ended with it live (after verify)."""
        with self._write.begin() as session:
            session.execute(
                update(DeploymentRow)
                .where(DeploymentRow.id == deployment_id)
                .values(ended_at=time.time())
            )

    def deployment(self, deployment_id: int) -> Deployment | None:
        with self._read() as session:
            found = session.execute(
                self._with_commit().where(DeploymentRow.id == deployment_id)
            ).first()
        return None if found is None else _deployment(found[0], found[1])

    def live(self, repository_id: int, environment: str, app: str) -> Deployment | None:
        """The deployment the alias points at (None: nothing deployed yet)."""
        found = self.deployments(repository_id, environment=environment, app=app, status=LIVE)
        return found[0] if found else None

    def deployments(
        self,
        repository_id: int | None,
        *,
        environment: str | None = None,
        app: str | None = None,
        status: str | None = None,
        run_id: int | None = None,
        version: str | None = None,
        limit: int | None = None,
    ) -> list[Deployment]:
        """Deployments, newest first."""
        query = self._with_commit()
        if repository_id is not None:
            query = query.where(DeploymentRow.repository_id == repository_id)
        for column, value in (
            (DeploymentRow.environment, environment),
            (DeploymentRow.app, app),
            (DeploymentRow.status, status),
            (DeploymentRow.run_id, run_id),
            (DeploymentRow.version, version),
        ):
            if value is not None:
                query = query.where(column == value)
        query = query.order_by(DeploymentRow.started_at.desc(), DeploymentRow.id.desc())
        if limit is not None:
            query = query.limit(limit)
        with self._read() as session:
            return [_deployment(row, commit) for row, commit in session.execute(query)]

    def _with_commit(self) -> Select[DeploymentRow, str]:
        return select(DeploymentRow, BuildArtifactRow.commit).outerjoin(
            BuildArtifactRow, BuildArtifactRow.id == DeploymentRow.artifact_id
        )

    def approvals(self, run_id: int, job_key: str) -> list[dict[str, Any]]:
        """The decisions on the job's environment approval (who, when, why), as the
        deployment records them."""
        from conveyor.store.approvals import of_run

        return [
            {
                "environment": a.environment, "status": a.status, "by": a.decided_by,
                "at": a.decided_at, "comment": a.comment, "reviewers": list(a.reviewers),
            }
            for a in of_run(self.engine, run_id)
            if a.job_key == job_key
        ]  # fmt: skip

    # ------------------------------------------------------------------ locks

    def acquire_lock(
        self, repository_id: int, environment: str, app: str, run_id: int, job_key: str
    ) -> LockHolder | None:
        """Take the deploy lock of (environment, app): None when taken, else who holds it.
        A stale lock (its job finished, its process is gone) or one this very job holds
        (a resumed job) is taken over."""
        key = (repository_id, environment, app)
        for _ in range(3):
            try:
                with self._write.begin() as session:
                    session.add(
                        DeployLockRow(
                            repository_id=repository_id, environment=environment, app=app,
                            run_id=run_id, job_key=job_key, acquired_at=time.time(),
                        )
                    )  # fmt: skip
                return None
            except IntegrityError:
                pass
            with self._write.begin() as session:
                lock = session.get(DeployLockRow, key)
                if lock is None:
                    continue
                mine = lock.run_id == run_id and lock.job_key == job_key
                if not mine and not _stale(session, lock):
                    return LockHolder(lock.run_id, lock.job_key, lock.acquired_at)
                session.delete(lock)
        lock_row = self.lock_holder(repository_id, environment, app)
        return lock_row or LockHolder(0, "", time.time())

    def lock_holder(self, repository_id: int, environment: str, app: str) -> LockHolder | None:
        with self._read() as session:
            lock = session.get(DeployLockRow, (repository_id, environment, app))
            return None if lock is None else LockHolder(lock.run_id, lock.job_key, lock.acquired_at)

    def release_lock(
        self, repository_id: int, environment: str, app: str, run_id: int, job_key: str
    ) -> None:
        with self._write.begin() as session:
            session.execute(
                delete(DeployLockRow).where(
                    DeployLockRow.repository_id == repository_id,
                    DeployLockRow.environment == environment,
                    DeployLockRow.app == app,
                    DeployLockRow.run_id == run_id,
                    DeployLockRow.job_key == job_key,
                )
            )

    # ------------------------------------------------------------------ schema

    def record_schema_revision(
        self,
        repository_id: int,
        environment: str,
        revision: str,
        *,
        previous_revision: str = "",
        run_id: int | None = None,
    ) -> None:
        with self._write.begin() as session:
            session.add(
                SchemaMigrationRow(
                    repository_id=repository_id, environment=environment, revision=revision,
                    previous_revision=previous_revision, run_id=run_id, applied_at=time.time(),
                )
            )  # fmt: skip

    def schema_revision(self, repository_id: int, environment: str) -> str:
        """The environment's schema revision as ``conveyor/migrate@v1`` last recorded it
        ("" when none was ever recorded)."""
        history = self.schema_history(repository_id, environment, limit=1)
        return history[0].revision if history else ""

    def schema_history(
        self, repository_id: int, environment: str, limit: int | None = None
    ) -> list[SchemaRevision]:
        query = (
            select(SchemaMigrationRow)
            .where(
                SchemaMigrationRow.repository_id == repository_id,
                SchemaMigrationRow.environment == environment,
            )
            .order_by(SchemaMigrationRow.applied_at.desc(), SchemaMigrationRow.id.desc())
        )
        if limit is not None:
            query = query.limit(limit)
        with self._read() as session:
            rows = session.scalars(query).all()
        return [
            SchemaRevision(r.environment, r.revision, r.previous_revision, r.run_id, r.applied_at)
            for r in rows
        ]

    # ------------------------------------------------------------------ gates

    def record_gate(
        self, run_id: int, job_key: str, *, environment: str, gate: str, passed: bool, detail: str
    ) -> None:
        with self._write.begin() as session:
            session.add(
                GateVerdictRow(
                    run_id=run_id, job_key=job_key, environment=environment, gate=gate,
                    passed=passed, detail=self._mask(detail), checked_at=time.time(),
                )
            )  # fmt: skip

    def failed_gates(self, run_id: int, environment: str) -> list[GateVerdict]:
        """Gates of the run for ``environment`` whose newest verdict (per job and gate)
        is a failure."""
        newest = (
            select(func.max(GateVerdictRow.id))
            .where(GateVerdictRow.run_id == run_id, GateVerdictRow.environment == environment)
            .group_by(GateVerdictRow.job_key, GateVerdictRow.gate)
        )
        with self._read() as session:
            rows = session.scalars(
                select(GateVerdictRow)
                .where(and_(GateVerdictRow.id.in_(newest), GateVerdictRow.passed.is_(False)))
                .order_by(GateVerdictRow.id)
            ).all()
        return [
            GateVerdict(r.run_id, r.job_key, r.environment, r.gate, r.passed, r.detail,
                        r.checked_at)
            for r in rows
        ]  # fmt: skip


def _stale(session: Session, lock: DeployLockRow) -> bool:
    """Whether the lock's holder can no longer be deploying."""
    run = session.get(RunRow, lock.run_id)
    if run is None or run.ended_at is not None:
        return True
    job_done = session.scalar(
        select(JobRow.ended_at).where(JobRow.run_id == lock.run_id, JobRow.job_key == lock.job_key)
    )
    if job_done is not None:
        return True
    return not lease_is_live(run, socket.gethostname(), time.time(), STALE_LOCK_SECONDS)
