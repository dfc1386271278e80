"""conveyor/publish@v1 and conveyor/promote@v1 on a real artifact store and history
database, and `conveyor artifacts`."""

from __future__ import annotations

import json
import re
import tarfile
from pathlib import Path

import pytest
from delivery_helpers import Project

from conveyor.actions import promote_action, publish_action
from conveyor.actions.artifact_store import ArtifactStore
from conveyor.cli.main import main
from conveyor.store.deliveries import DeliveryStore, NewDeployment


def _build(project: Project) -> Path:
    dist = project.root / "dist"
    (dist / "static").mkdir(parents=True)
    (dist / "app.py").write_text("print('hello')\n")
    (dist / "static" / "index.html").write_text("<h1>hi</h1>\n")
    (dist / "run.sh").write_text("#!/bin/sh\necho run\n")
    (dist / "run.sh").chmod(0o755)
    return dist


def _publish(project: Project, **inputs: str) -> dict[str, str]:
    result = publish_action.run(project.context({"app": "web", **inputs}, job_key="build"))
    assert result.ok, project.output.text
    return result.outputs


def _deploy_record(project: Project, outputs: dict[str, str], env: str) -> None:
    """What conveyor/deploy@v1 records once the version is live (the store's API)."""
    with DeliveryStore(project.state_dir) as db:
        repo = db.run_repository(project.run_id)
        assert repo is not None
        row = db.begin_deployment(
            NewDeployment(
                repository_id=repo, app=outputs["app"], environment=env,
                version=outputs["version"], digest=outputs["digest"], provider="process",
                artifact_id=int(outputs["artifact-id"]), run_id=project.run_id,
            )
        )  # fmt: skip
        db.went_live(row.id, "1")


def test_publish_registers_files_with_digest_commit_and_default_version(
    project: Project,
) -> None:
    _build(project)
    out = _publish(project, path="dist")
    assert re.fullmatch(rf"sha-{project.sha[:7]}-\d{{8}}-\d{{6}}", out["version"])
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", out["digest"])
    assert out["kind"] == "files" and out["commit"] == project.sha
    assert out["path"] == str(project.root / "dist")
    with DeliveryStore(project.state_dir) as db:
        repo = db.run_repository(project.run_id)
        assert repo is not None
        (art,) = db.artifacts(repo, app="web")
    assert (art.version, art.digest, art.commit, art.run_id, art.job_key) == (
        out["version"], out["digest"], project.sha, project.run_id, "build",
    )  # fmt: skip
    manifest = ArtifactStore(project.state_dir / "artifacts").get_build(art.location)
    assert manifest is not None
    assert sorted(manifest.files) == ["app.py", "run.sh", "static/index.html"]
    # the same files under another version name give the same digest
    again = _publish(project, path="dist", version="again")
    assert again["digest"] == out["digest"]
    (project.root / "dist" / "app.py").write_text("print('changed')\n")
    assert _publish(project, path="dist", version="changed")["digest"] != out["digest"]


def test_publish_an_archive_and_an_image(project: Project) -> None:
    dist = _build(project)
    with tarfile.open(project.root / "web.tar.gz", "w:gz") as tar:
        tar.add(dist, arcname="dist")
    archive = _publish(project, path="web.tar.gz", version="v-archive")
    manifest = ArtifactStore(project.state_dir / "artifacts").get_build(
        ArtifactStore.build_key("web", "v-archive")
    )
    assert manifest is not None and list(manifest.files) == ["web.tar.gz"]
    assert archive["kind"] == "files"
    digest = "sha256:" + "c" * 64
    image = _publish(project, image="registry.example/web:1.2", digest=digest, version="v-img")
    assert image["kind"] == "image" and image["digest"] == digest
    assert image["image"] == f"registry.example/web:1.2@{digest}"


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"app": "nope", "path": "dist"}, "unknown app 'nope' (known apps: api, web)"),
        ({"app": "web"}, "give either input 'path' (files) or input 'image'"),
        ({"app": "web", "image": "registry/web:1"}, "must be pinned by its digest"),
        ({"app": "web", "path": "dist", "version": "bad/name"}, "is not a name"),
        ({"app": "web", "path": "missing"}, "no files found"),
    ],
)
def test_publish_refuses_bad_input(project: Project, inputs: dict[str, str], message: str) -> None:
    _build(project)
    result = publish_action.run(project.context(inputs))
    assert not result.ok
    assert message in result.message
    if "unknown app" in message:
        assert f"{project.root / 'conveyor.toml'}:" in result.message  # file:line


def test_a_version_name_is_immutable(project: Project) -> None:
    _build(project)
    _publish(project, path="dist", version="v1")
    (project.root / "dist" / "app.py").write_text("other\n")
    result = publish_action.run(project.context({"app": "web", "path": "dist", "version": "v1"}))
    assert not result.ok and "immutable" in result.message


def test_promote_hands_out_exactly_the_build_live_in_dev(project: Project) -> None:
    _build(project)
    built = _publish(project, path="dist")
    _deploy_record(project, built, "dev")
    # a later build of another commit is live in dev too: not this commit's
    project.commit("next", {"README.md": "next\n"})
    later = _publish(project, path="dist", version="later")
    _deploy_record(project, later, "dev")

    staging_run = project.new_run()
    first_sha = built["commit"]
    result = promote_action.run(
        project.context({"app": "web", "from": "dev"}, run_id=staging_run, sha=first_sha)
    )
    assert result.ok, project.output.text
    out = result.outputs
    assert (out["version"], out["digest"], out["from"]) == (
        built["version"],
        built["digest"],
        "dev",
    )
    handed = Path(out["path"])
    assert handed == project.root / ".conveyor-artifacts" / "web"
    assert (handed / "app.py").read_text() == "print('hello')\n"
    assert (handed / "static" / "index.html").is_file()
    assert (handed / "run.sh").stat().st_mode & 0o111


def test_promote_without_a_dev_deploy_gives_the_seeds_advice(project: Project) -> None:
    _build(project)
    _publish(project, path="dist")  # published, never deployed to dev
    result = promote_action.run(project.context({"app": "web", "from": "dev"}))
    assert not result.ok
    assert result.message.startswith(
        f"No dev artifact for {project.sha}: push to dev first and wait for its deploy"
    )


def test_promote_refuses_a_tampered_blob_or_manifest(project: Project) -> None:
    _build(project)
    built = _publish(project, path="dist")
    _deploy_record(project, built, "dev")
    store = ArtifactStore(project.state_dir / "artifacts")
    manifest = store.get_build(ArtifactStore.build_key("web", built["version"]))
    assert manifest is not None
    blob_sha = manifest.files["app.py"].sha256
    blob = project.state_dir / "artifacts" / "blobs" / blob_sha[:2] / blob_sha
    original = blob.read_bytes()
    blob.write_bytes(b"print('evil')\n")
    result = promote_action.run(project.context({"app": "web", "from": "dev"}))
    assert not result.ok
    assert "'app.py' does not match its sha256" in result.message
    assert "refusing it" in result.message
    assert not (project.root / ".conveyor-artifacts" / "web" / "app.py").exists()

    blob.write_bytes(original)  # the blob is whole again; now the manifest lies
    data = json.loads(manifest.path.read_text())
    data["files"]["app.py"][0] = manifest.files["run.sh"].sha256
    manifest.path.write_text(json.dumps(data))
    result = promote_action.run(project.context({"app": "web", "from": "dev"}))
    assert not result.ok and "does not match the recorded digest" in result.message


def test_artifacts_command_shows_versions_digests_commits_and_where_live(
    project: Project, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONVEYOR_REPOSITORY", "github.com/acme/widgets")
    _build(project)
    one = _publish(project, path="dist", version="v-one")
    two = _publish(project, path="dist", version="v-two", app="web")
    api = publish_action.run(project.context({"app": "api", "path": "dist", "version": "v-api"}))
    assert api.ok
    _deploy_record(project, one, "dev")
    _deploy_record(project, one, "staging")
    state = ["--state-dir", str(project.state_dir)]
    assert main(["artifacts", *state]) == 0
    out = capsys.readouterr().out
    for text in ("v-one", "v-two", "v-api", one["digest"][:19], project.sha[:7], "dev, staging"):
        assert text in out
    assert main(["artifacts", "--app", "web", "--env", "staging", *state]) == 0
    out = capsys.readouterr().out
    assert "v-one" in out and "v-two" not in out and "v-api" not in out
    assert two["digest"] == one["digest"]
    assert main(["artifacts", "--app", "web", "--json", *state]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["version"] for r in rows] == ["v-two", "v-one"]
    assert rows[1]["live_in"] == ["dev", "staging"]


def test_checks_before_the_run_know_only_names_written_without_expressions(
    project: Project,
) -> None:
    from conveyor.actions.delivery_checks import check_deploy, check_promote, check_publish

    root = project.root
    assert check_deploy({"app": "web"}, "dev", root) == []
    assert (
        check_deploy({"app": "${{ vars.APP }}", "environment": "${{ inputs.env }}"}, "qa", root)
        == []
    )
    (unknown_env,) = check_deploy({"app": "web"}, "qa", root)
    assert unknown_env.startswith(f"{root / 'conveyor.toml'}:1: unknown environment 'qa'")
    (unknown_app,) = check_publish({"app": "nope"}, None, root)
    assert "unknown app 'nope'" in unknown_app
    assert len(check_promote({"app": "nope", "from": "qa"}, None, root)) == 2
    assert check_deploy({"app": "web", "environment": "staging"}, "qa", root) == []
