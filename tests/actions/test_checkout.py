from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from action_helpers import Env

from conveyor.actions import checkout
from git_repo_helpers import GitRun


def prepare(env: Env, run_git: GitRun) -> None:
    """Committed, modified, untracked, ignored, deleted files and a state dir."""
    repo = env.repo
    (repo / ".gitignore").write_text("*.log\nbuild/\n")
    (repo / "src").mkdir()
    (repo / "src" / "app.py").write_text("print('v1')\n")
    (repo / "gone.txt").write_text("bye\n")
    run_git("add", ".", cwd=repo)
    run_git("commit", "-qm", "second", cwd=repo)
    run_git("tag", "v1", cwd=repo)
    (repo / "src" / "app.py").write_text("print('edited')\n")  # modified, uncommitted
    (repo / "new.txt").write_text("untracked\n")
    (repo / "debug.log").write_text("ignored\n")
    (repo / "build").mkdir()
    (repo / "build" / "out.bin").write_text("ignored\n")
    (repo / "gone.txt").unlink()
    (repo / ".conveyor").mkdir()
    (repo / ".conveyor" / "state.db").write_text("state\n")


def test_copy_includes_uncommitted_and_untracked(env: Env, run_git: GitRun) -> None:
    prepare(env, run_git)
    result = checkout.run(env.context())
    assert result.ok, result.message
    ws = env.workspace
    assert (ws / "src/app.py").read_text() == "print('edited')\n"
    assert (ws / "new.txt").read_text() == "untracked\n"
    assert (ws / "README.md").is_file()
    assert not (ws / "debug.log").exists()
    assert not (ws / "build").exists()
    assert not (ws / "gone.txt").exists()
    assert not (ws / ".conveyor").exists()
    assert result.outputs["commit"] == run_git("rev-parse", "HEAD", cwd=env.repo)
    assert result.outputs["ref"] == "refs/heads/main"
    # git works in the workspace and sees the same changes
    assert run_git("rev-parse", "HEAD", cwd=ws) == result.outputs["commit"]
    assert run_git("rev-parse", "--abbrev-ref", "HEAD", cwd=ws) == "main"
    status = run_git("status", "--porcelain", cwd=ws).splitlines()
    assert {"M src/app.py", "?? new.txt", "D gone.txt"} == {line.strip() for line in status}
    assert "including uncommitted changes" in env.output.text


def test_copy_keeps_origin_url(env: Env, run_git: GitRun) -> None:
    run_git("remote", "add", "origin", "https://github.com/octo/project.git", cwd=env.repo)
    assert checkout.run(env.context()).ok
    assert run_git("remote", "get-url", "origin", cwd=env.workspace) == (
        "https://github.com/octo/project.git"
    )


def test_copy_workspace_inside_repository(env: Env, run_git: GitRun) -> None:
    prepare(env, run_git)
    workspace = env.repo / "tmp-work"
    workspace.mkdir()
    result = checkout.run(env.context(workspace=workspace))
    assert result.ok, result.message
    assert (workspace / "new.txt").is_file()
    assert not (workspace / "tmp-work").exists()


def test_path_input_and_clean(env: Env) -> None:
    (env.workspace / "stale.txt").write_text("old")
    result = checkout.run(env.context({"path": "sub/dir", "clean": "false"}))
    assert result.ok, result.message
    assert (env.workspace / "sub/dir/README.md").is_file()
    assert (env.workspace / "stale.txt").exists()
    (env.workspace / "sub/dir/stale2.txt").write_text("old")
    assert checkout.run(env.context({"path": "sub/dir"})).ok
    assert not (env.workspace / "sub/dir/stale2.txt").exists()


def test_path_outside_workspace_fails(env: Env) -> None:
    result = checkout.run(env.context({"path": "../elsewhere"}))
    assert not result.ok
    assert "not under" in result.message


def test_fetch_depth_noted(env: Env) -> None:
    assert checkout.run(env.context({"fetch-depth": "0"})).ok
    assert "fetch-depth" in env.output.text and "ignored" in env.output.text


def test_copy_mode_at_other_ref_is_clean(env: Env, run_git: GitRun) -> None:
    prepare(env, run_git)
    run_git("add", "-A", cwd=env.repo)
    run_git("commit", "-qm", "third", cwd=env.repo)
    result = checkout.run(env.context({"ref": "v1"}))
    assert result.ok, result.message
    assert (env.workspace / "src/app.py").read_text() == "print('v1')\n"
    assert (env.workspace / "gone.txt").is_file()
    assert not (env.workspace / "new.txt").exists()
    assert result.outputs["commit"] == run_git("rev-parse", "v1", cwd=env.repo)
    assert run_git("status", "--porcelain", cwd=env.workspace) == ""


def test_unknown_ref_fails_clearly(env: Env) -> None:
    result = checkout.run(env.context({"ref": "no-such-branch"}))
    assert not result.ok
    assert "no-such-branch" in result.message


def test_worktree_mode_at_ref(env: Env, run_git: GitRun) -> None:
    prepare(env, run_git)
    run_git("add", "-A", cwd=env.repo)
    run_git("commit", "-qm", "third", cwd=env.repo)
    context = env.context({"ref": "v1"}, env={"CONVEYOR_CHECKOUT_MODE": "worktree"})
    result = checkout.run(context)
    assert result.ok, result.message
    ws = env.workspace
    assert (ws / "src/app.py").read_text() == "print('v1')\n"
    assert (ws / ".git").is_file()
    assert run_git("rev-parse", "HEAD", cwd=ws) == run_git("rev-parse", "v1", cwd=env.repo)
    worktrees = run_git("worktree", "list", "--porcelain", cwd=env.repo)
    assert str(ws) in worktrees
    # running again (re-run of the job) replaces the worktree
    again = checkout.run(env.context(env={"CONVEYOR_CHECKOUT_MODE": "worktree"}))
    assert again.ok, again.message
    assert (ws / "src/app.py").read_text() == "print('edited')\n"
    assert (ws / "new.txt").exists()
    assert run_git("rev-parse", "HEAD", cwd=ws) == run_git("rev-parse", "HEAD", cwd=env.repo)


def test_bad_mode(env: Env) -> None:
    result = checkout.run(env.context(env={"CONVEYOR_CHECKOUT_MODE": "magic"}))
    assert not result.ok and "CONVEYOR_CHECKOUT_MODE" in result.message


def test_other_repository_cloned_from_template(env: Env, tmp_path: Path, run_git: GitRun) -> None:
    other = tmp_path / "lib-src"
    other.mkdir()
    run_git("init", "-q", "-b", "main", cwd=other)
    (other / "lib.txt").write_text("one\n")
    run_git("add", ".", cwd=other)
    run_git("commit", "-qm", "1", cwd=other)
    run_git("tag", "v1", cwd=other)
    (other / "lib.txt").write_text("two\n")
    run_git("commit", "-qam", "2", cwd=other)
    mirror = tmp_path / "mirror" / "octo"
    mirror.mkdir(parents=True)
    run_git("clone", "-q", "--bare", str(other), str(mirror / "lib.git"), cwd=tmp_path)
    url = (tmp_path / "mirror").as_uri() + "/{owner}/{repo}.git"
    context = env.context(
        {"repository": "octo/lib", "ref": "v1", "path": "lib"},
        env={"CONVEYOR_ACTIONS_URL": url},
    )
    result = checkout.run(context)
    assert result.ok, result.message
    assert (env.workspace / "lib/lib.txt").read_text() == "one\n"
    assert result.outputs["commit"] == run_git("rev-parse", "v1", cwd=other)
    same = checkout.run(env.context({"repository": "Octo/Project"}))
    assert same.ok and (env.workspace / "README.md").is_file()


def test_other_repository_missing(env: Env, tmp_path: Path) -> None:
    url = tmp_path.as_uri() + "/{owner}/{repo}.git"
    result = checkout.run(
        env.context({"repository": "octo/nope"}, env={"CONVEYOR_ACTIONS_URL": url})
    )
    assert not result.ok
    assert "octo/nope" in result.message or "nope.git" in result.message


def test_not_a_git_repository(env: Env, tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    (plain / "a").mkdir(parents=True)
    (plain / "a" / "x.txt").write_text("x")
    (plain / ".conveyor").mkdir()
    env.repo = plain
    result = checkout.run(env.context())
    assert result.ok, result.message
    assert (env.workspace / "a/x.txt").is_file()
    assert not (env.workspace / ".conveyor").exists()


@pytest.mark.skipif(subprocess.run(["git", "--version"], check=False).returncode != 0, reason="git")
def test_repository_without_commits(env: Env, tmp_path: Path, run_git: GitRun) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    run_git("init", "-q", cwd=empty)
    (empty / "draft.txt").write_text("draft")
    env.repo = empty
    result = checkout.run(env.context())
    assert result.ok, result.message
    assert (env.workspace / "draft.txt").is_file()
    assert result.outputs["commit"] == ""


def test_worktree_mode_needs_a_commit(env: Env, tmp_path: Path, run_git: GitRun) -> None:
    empty = tmp_path / "empty-wt"
    empty.mkdir()
    run_git("init", "-q", cwd=empty)
    env.repo = empty
    result = checkout.run(env.context(env={"CONVEYOR_CHECKOUT_MODE": "worktree"}))
    assert not result.ok and "needs a commit" in result.message
