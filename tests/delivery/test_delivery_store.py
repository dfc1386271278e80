"""The delivery store API on SQLite and PostgreSQL: artifacts, deployments and what is
live, the deploy lock, schema revisions, gate verdicts."""

from __future__ import annotations

import pytest
from delivery_helpers import Project

from conveyor.engine.events import JobFinished, JobStarted, RunFinished
from conveyor.engine.status import Conclusion
from conveyor.store.deliveries import (
    LIVE,
    ROLLBACK,
    ROLLED_BACK,
    SUPERSEDED,
    DeliveryStore,
    NewDeployment,
    VersionConflict,
)

DIGEST_A = "sha256:" + "a" * 64
DIGEST_B = "sha256:" + "b" * 64


def _deploy(db: DeliveryStore, repo: int, version: str, env: str = "dev", **kw: object) -> int:
    row = db.begin_deployment(
        NewDeployment(
            repository_id=repo, app="web", environment=env, version=version,
            digest=DIGEST_A, provider="process", **kw,  # type: ignore[arg-type]
        )
    )  # fmt: skip
    db.went_live(row.id, f"p-{version}")
    return row.id


def test_artifact_versions_are_immutable(any_project: Project) -> None:
    with DeliveryStore(any_project.state_dir) as db:
        repo = db.run_repository(any_project.run_id)
        assert repo is not None
        first = db.register_artifact(
            repo, app="web", version="v1", digest=DIGEST_A, kind="files", location="k",
            commit="c1", run_id=any_project.run_id,
        )  # fmt: skip
        again = db.register_artifact(
            repo, app="web", version="v1", digest=DIGEST_A, kind="files", location="k"
        )
        assert again.id == first.id
        with pytest.raises(VersionConflict, match="versions are immutable"):
            db.register_artifact(
                repo, app="web", version="v1", digest=DIGEST_B, kind="files", location="k"
            )
        assert [a.version for a in db.artifacts(repo, app="web")] == ["v1"]


def test_one_live_deployment_and_the_previous_one(any_project: Project) -> None:
    with DeliveryStore(any_project.state_dir) as db:
        repo = db.run_repository(any_project.run_id)
        assert repo is not None
        art = db.register_artifact(
            repo, app="web", version="v1", digest=DIGEST_A, kind="files", location="k",
            commit="c1",
        )  # fmt: skip
        first = _deploy(db, repo, "v1", artifact_id=art.id)
        second = _deploy(db, repo, "v2")
        _deploy(db, repo, "v9", env="staging")
        live = db.live(repo, "dev", "web")
        assert live is not None and live.id == second and live.previous_version == "v1"
        old = db.deployment(first)
        assert old is not None and old.status == SUPERSEDED and old.commit == "c1"
        assert db.artifacts(repo, app="web")[0].deployed == ()
        assert db.deployed_artifact(repo, "web", "dev", "c1") == db.artifact_by_id(art.id)
        assert db.deployed_artifact(repo, "web", "staging", "c1") is None
        # a rollback row: the one it replaces is rolled back
        back = db.begin_deployment(
            NewDeployment(
                repository_id=repo, app="web", environment="dev", version="v1",
                digest=DIGEST_A, provider="process", action=ROLLBACK, reason="back: why",
                artifact_id=art.id,
            )
        )  # fmt: skip
        db.went_live(back.id, "p-v1", replaced_status=ROLLED_BACK, replaced_reason="why")
        replaced = db.deployment(second)
        assert replaced is not None and replaced.status == ROLLED_BACK
        assert replaced.reason == "why" and replaced.rolled_back_at is not None
        assert [d.status for d in db.deployments(repo, environment="dev")] == [
            LIVE, ROLLED_BACK, SUPERSEDED,
        ]  # fmt: skip
        assert db.artifacts(repo, app="web")[0].deployed == ("dev",)


def test_deploy_lock_is_exclusive_until_released_or_stale(any_project: Project) -> None:
    project = any_project
    other = project.new_run()
    first = project.new_run()
    with DeliveryStore(project.state_dir) as db:
        repo = db.run_repository(first)
        assert repo is not None
        assert db.acquire_lock(repo, "dev", "web", first, "deploy") is None
        holder = db.acquire_lock(repo, "dev", "web", other, "deploy")
        assert holder is not None and holder.run_id == first
        # another app or environment is not locked
        assert db.acquire_lock(repo, "staging", "web", other, "deploy") is None
        # the same job again (a resumed job) keeps it
        assert db.acquire_lock(repo, "dev", "web", first, "deploy") is None
        db.release_lock(repo, "dev", "web", first, "deploy")
        assert db.acquire_lock(repo, "dev", "web", other, "deploy") is None
        # the holder's job finishes without releasing: the lock is stale
        project.store.emit(JobStarted(other, "deploy", "deploy", "deploy", started_at=1.0))
        project.store.emit(JobFinished(other, "deploy", Conclusion.FAILURE, 1.0, 2.0))
        assert db.acquire_lock(repo, "dev", "web", first, "deploy") is None
        # a finished run's lock is stale too
        project.store.emit(RunFinished(first, Conclusion.SUCCESS, 3.0))
        assert db.acquire_lock(repo, "dev", "web", other, "other-job") is None


def test_schema_revisions_and_gate_verdicts(any_project: Project) -> None:
    project = any_project
    with DeliveryStore(project.state_dir) as db:
        repo = db.run_repository(project.run_id)
        assert repo is not None
        assert db.schema_revision(repo, "dev") == ""
        db.record_schema_revision(repo, "dev", "0001", run_id=project.run_id)
        db.record_schema_revision(repo, "dev", "0002", previous_revision="0001")
        db.record_schema_revision(repo, "staging", "0001")
        assert db.schema_revision(repo, "dev") == "0002"
        assert db.schema_revision(repo, "staging") == "0001"
        run = project.run_id
        db.record_gate(run, "gate", environment="dev", gate="schema", passed=False, detail="x")
        db.record_gate(run, "gate", environment="prod", gate="schema", passed=True, detail="")
        assert [g.detail for g in db.failed_gates(run, "dev")] == ["x"]
        assert db.failed_gates(run, "prod") == []
        # the gate ran again and passed: its newest verdict counts
        db.record_gate(run, "gate", environment="dev", gate="schema", passed=True, detail="")
        assert db.failed_gates(run, "dev") == []
