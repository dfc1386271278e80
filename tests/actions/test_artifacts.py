from __future__ import annotations

import json
from pathlib import Path

from action_helpers import Env

from conveyor.actions import download_artifact, upload_artifact


def tree(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def build_outputs(env: Env) -> None:
    dist = env.workspace / "dist"
    (dist / "lib").mkdir(parents=True)
    (dist / "app.whl").write_text("wheel")
    (dist / "lib" / "core.so").write_text("so")
    (dist / "lib" / "debug.tmp").write_text("tmp")
    (dist / ".secret").write_text("hidden")
    (env.workspace / "reports").mkdir()
    (env.workspace / "reports" / "junit.xml").write_text("<xml/>")


def upload(env: Env, **inputs: str) -> dict[str, str]:
    result = upload_artifact.run(env.context(inputs))
    assert result.ok, result.message
    return result.outputs


def download(env: Env, **inputs: str) -> Path:
    result = download_artifact.run(env.context(inputs))
    assert result.ok, result.message
    return Path(result.outputs["download-path"])


def test_directory_round_trip_and_outputs(env: Env) -> None:
    build_outputs(env)
    outputs = upload(env, name="dist", path="dist/")
    assert outputs["artifact-id"] == "1"
    assert outputs["artifact-url"].startswith("file://")
    assert len(outputs["artifact-digest"]) == 64
    manifest = json.loads(Path(outputs["artifact-url"].removeprefix("file://")).read_text())
    assert set(manifest["files"]) == {"app.whl", "lib/core.so", "lib/debug.tmp"}
    target = download(env, name="dist", path="out")
    assert target == (env.workspace / "out").resolve()
    assert tree(target) == {"app.whl", "lib/core.so", "lib/debug.tmp"}
    assert (target / "lib/core.so").read_text() == "so"


def test_globs_exclusions_and_common_root(env: Env) -> None:
    build_outputs(env)
    upload(env, name="mixed", path="dist/**/*.so\ndist/*.whl\nreports/\n!**/*.tmp")
    target = download(env, name="mixed", path="got")
    # root is the common ancestor of dist/ and reports/: the workspace
    assert tree(target) == {"dist/lib/core.so", "dist/app.whl", "reports/junit.xml"}


def test_single_file_is_stored_by_name(env: Env) -> None:
    build_outputs(env)
    upload(env, name="one", path="dist/lib/core.so")
    assert tree(download(env, name="one", path="single")) == {"core.so"}


def test_hidden_files_need_opt_in(env: Env) -> None:
    build_outputs(env)
    upload(env, name="plain", path="dist")
    upload(env, name="hidden", path="dist", **{"include-hidden-files": "true"})
    assert ".secret" not in tree(download(env, name="plain", path="p"))
    assert ".secret" in tree(download(env, name="hidden", path="h"))


def test_content_addressed_blobs_are_shared(env: Env) -> None:
    build_outputs(env)
    upload(env, name="a", path="dist/app.whl")
    upload(env, name="b", path="dist/app.whl")
    blobs = [p for p in (env.state_dir / "artifacts" / "blobs").rglob("*") if p.is_file()]
    assert len(blobs) == 1


def test_download_all_pattern_and_merge(env: Env) -> None:
    build_outputs(env)
    upload(env, name="build-linux", path="dist/app.whl")
    upload(env, name="build-mac", path="dist/lib/core.so")
    upload(env, name="reports", path="reports/junit.xml")
    everything = download(env, path="all")
    assert tree(everything) == {"build-linux/app.whl", "build-mac/core.so", "reports/junit.xml"}
    only_builds = download(env, path="builds", pattern="build-*")
    assert tree(only_builds) == {"build-linux/app.whl", "build-mac/core.so"}
    merged = download(env, path="merged", pattern="build-*", **{"merge-multiple": "true"})
    assert tree(merged) == {"app.whl", "core.so"}


def test_if_no_files_found(env: Env) -> None:
    failed = upload_artifact.run(
        env.context({"name": "x", "path": "nothing/*", "if-no-files-found": "error"})
    )
    assert not failed.ok
    assert "No files were found" in failed.message and "nothing/*" in failed.message
    warned = upload_artifact.run(env.context({"name": "x", "path": "nothing/*"}))
    assert warned.ok and "Warning: No files were found" in env.output.text
    ignored = upload_artifact.run(env.context({"path": "nothing", "if-no-files-found": "ignore"}))
    assert ignored.ok
    bad = upload_artifact.run(env.context({"path": "nothing", "if-no-files-found": "explode"}))
    assert not bad.ok


def test_duplicate_name_and_overwrite(env: Env) -> None:
    build_outputs(env)
    first = upload(env, path="dist/app.whl")
    duplicate = upload_artifact.run(env.context({"path": "reports"}))
    assert not duplicate.ok
    assert "'artifact' already exists" in duplicate.message and "overwrite" in duplicate.message
    replaced = upload(env, path="reports", overwrite="true")
    assert replaced["artifact-id"] != first["artifact-id"]
    assert tree(download(env, name="artifact", path="r")) == {"junit.xml"}


def test_artifacts_are_scoped_to_the_run(env: Env) -> None:
    build_outputs(env)
    assert upload_artifact.run(env.context({"name": "dist", "path": "dist"}, run_id=7)).ok
    assert upload_artifact.run(env.context({"name": "dist", "path": "dist"}, run_id=8)).ok
    missing = download_artifact.run(env.context({"name": "dist"}, run_id=9))
    assert not missing.ok and "not found in run 9" in missing.message
    other_run = download_artifact.run(
        env.context({"name": "dist", "path": "o", "run-id": "7"}, run_id=9)
    )
    assert other_run.ok


def test_invalid_name_and_retention(env: Env) -> None:
    build_outputs(env)
    bad_name = upload_artifact.run(env.context({"name": "a/b", "path": "dist"}))
    assert not bad_name.ok and "invalid" in bad_name.message
    bad_days = upload_artifact.run(env.context({"path": "dist", "retention-days": "400"}))
    assert not bad_days.ok and "retention-days" in bad_days.message


def test_log_lines_are_masked(env: Env) -> None:
    build_outputs(env)
    env.masker.add("supersecret")
    upload(env, name="dist", path="dist/app.whl")
    result = upload_artifact.run(
        env.context({"name": "x", "path": "supersecret/*", "if-no-files-found": "error"})
    )
    assert not result.ok
    assert "supersecret" not in result.message and "***" in result.message
    assert all("supersecret" not in text for _, text in env.output.lines)
