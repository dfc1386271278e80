"""`conveyor gc` and published builds: old builds go unless live, a recent deployment's
(what a rollback or a promotion may need), or among an app's newest."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from delivery_helpers import Project
from sqlalchemy import update

from conveyor.actions.artifact_store import ArtifactStore
from conveyor.cli.main import main
from conveyor.store.deliveries import DeliveryStore, NewDeployment
from conveyor.store.delivery_models import BuildArtifactRow

DAY = 86400.0


def _publish(project: Project, db: DeliveryStore, repo: int, version: str) -> set[str]:
    """A build of ``web`` stored as publish@v1 stores it; the blobs it alone holds."""
    source = project.root / f"{version}.txt"
    source.write_text(f"the build {version}")
    store = ArtifactStore(project.state_dir / "artifacts")
    manifest = store.put_build("web", version, [(source, "app.txt")], project.run_id)
    db.register_artifact(
        repo, app="web", version=version, digest=manifest.digest, kind="files",
        location=ArtifactStore.build_key("web", version), run_id=project.run_id,
    )  # fmt: skip
    return {stored.sha256 for stored in manifest.files.values()}


def _deploy(db: DeliveryStore, repo: int, version: str, env: str) -> None:
    artifact = db.artifact(repo, "web", version)
    assert artifact is not None
    row = db.begin_deployment(
        NewDeployment(
            repository_id=repo, app="web", environment=env, version=version,
            digest=artifact.digest, provider="process", artifact_id=artifact.id,
        )
    )  # fmt: skip
    db.went_live(row.id, f"p-{version}")


def _blobs(state: Path) -> set[str]:
    return {p.name for p in (state / "artifacts" / "blobs").rglob("*") if p.is_file()}


def test_old_builds_go_unless_live_recently_deployed_or_newest(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    state = project.state_dir
    with DeliveryStore(state) as db:
        repo = db.run_repository(project.run_id)
        assert repo is not None
        blobs = {v: _publish(project, db, repo, v) for v in ("v1", "v2", "v3", "v4", "v5")}
        _deploy(db, repo, "v1", "production")  # live in production
        _deploy(db, repo, "v2", "dev")
        _deploy(db, repo, "v3", "dev")  # v2 superseded, v3 live in dev
        with db.engine.begin() as connection:  # all five were built 40 days ago
            connection.execute(update(BuildArtifactRow).values(created_at=time.time() - 40 * DAY))
    for path in (state / "artifacts" / "blobs").rglob("*"):
        stamp = time.time() - 40 * DAY
        os.utime(path, (stamp, stamp))
    gc = ["gc", "--older-than", "30d", "--keep-builds", "1", "--state-dir", str(state)]
    assert main([*gc, "--dry-run"]) == 0
    assert "would remove build web@v2" in capsys.readouterr().out
    assert (state / "artifacts" / ArtifactStore.build_key("web", "v2")).exists()

    assert main(gc) == 0
    out = capsys.readouterr().out
    # v1 is live in production, v3 in dev (dev's newest deployment), v5 the newest build
    assert "removed build web@v2" in out and "removed build web@v4" in out
    assert "web@v1" not in out and "web@v3" not in out and "web@v5" not in out
    with DeliveryStore(state) as db:
        assert sorted(a.version for a in db.artifacts(repo, app="web")) == ["v1", "v3", "v5"]
        history = db.deployments(repo, environment="dev")
        # the deployment of a removed build keeps its version and digest
        assert [(d.version, d.artifact_id is None) for d in history] == [
            ("v3", False), ("v2", True),
        ]  # fmt: skip
    left = _blobs(state)
    for version in ("v1", "v3", "v5"):
        assert blobs[version] <= left
        assert (state / "artifacts" / ArtifactStore.build_key("web", version)).exists()
    for version in ("v2", "v4"):
        assert not blobs[version] & left
        assert not (state / "artifacts" / ArtifactStore.build_key("web", version)).exists()
