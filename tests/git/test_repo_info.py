from __future__ import annotations

from pathlib import Path

import pytest

from conveyor.git import RepoInfo, repo_info
from git_repo_helpers import GitRun


def test_plain_directory_is_not_a_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plain = tmp_path / "just-files"
    plain.mkdir()
    monkeypatch.setenv("USER", "alice")
    info = repo_info(plain)
    assert isinstance(info, RepoInfo)
    assert not info.is_repo
    assert info.sha is None and info.ref is None and info.branch is None
    assert info.repository == "just-files"
    assert info.default_branch == "main"
    assert info.actor == "alice"
    assert not info.dirty


def test_missing_directory_does_not_crash(tmp_path: Path) -> None:
    info = repo_info(tmp_path / "nope")
    assert not info.is_repo


def test_repo_without_commits(tmp_path: Path, run_git: GitRun) -> None:
    root = tmp_path / "empty"
    root.mkdir()
    run_git("init", "-q", "-b", "trunk", cwd=root)
    info = repo_info(root)
    assert info.is_repo
    assert info.sha is None
    assert info.branch == "trunk"
    assert info.ref == "refs/heads/trunk"


def test_branch_head_and_facts(repo: Path, run_git: GitRun) -> None:
    run_git("checkout", "-qb", "feature/x", cwd=repo)
    info = repo_info(repo / "")
    assert info.root == repo.resolve()
    assert info.sha == run_git("rev-parse", "HEAD", cwd=repo)
    assert info.ref == "refs/heads/feature/x"
    assert info.ref_name == "feature/x"
    assert info.branch == "feature/x"
    assert info.actor == "Jane Doe"
    assert info.repository == "project"
    assert info.remote_url is None
    assert not info.dirty


def test_subdirectory_finds_root(repo: Path) -> None:
    sub = repo / "a" / "b"
    sub.mkdir(parents=True)
    assert repo_info(sub).root == repo.resolve()


def test_dirty_flag(repo: Path) -> None:
    (repo / ".conveyor").mkdir()
    (repo / ".conveyor" / "state.db").write_text("x")
    assert not repo_info(repo).dirty, "the state dir never makes the tree dirty"
    (repo / "new.txt").write_text("untracked")
    assert repo_info(repo).dirty
    (repo / "new.txt").unlink()
    (repo / "README.md").write_text("changed\n")
    assert repo_info(repo).dirty


def test_detached_at_tag(repo: Path, run_git: GitRun) -> None:
    run_git("tag", "v1.2.0", cwd=repo)
    (repo / "README.md").write_text("two\n")
    run_git("commit", "-qam", "second", cwd=repo)
    run_git("checkout", "-q", "--detach", "v1.2.0", cwd=repo)
    info = repo_info(repo)
    assert info.branch is None
    assert info.ref == "refs/tags/v1.2.0"
    assert info.ref_name == "v1.2.0"


def test_detached_without_tag(repo: Path, run_git: GitRun) -> None:
    run_git("checkout", "-q", "--detach", "HEAD", cwd=repo)
    info = repo_info(repo)
    assert info.sha is not None
    assert info.ref is None and info.branch is None


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/octo/widgets.git",
        "https://github.com/octo/widgets",
        "git@github.com:octo/widgets.git",
        "ssh://git@github.com/octo/widgets.git",
        "ssh://git@example.com:2222/octo/widgets",
        "git://example.com/octo/widgets.git",
    ],
)
def test_repository_from_origin(repo: Path, run_git: GitRun, url: str) -> None:
    run_git("remote", "add", "origin", url, cwd=repo)
    info = repo_info(repo)
    assert info.remote_url == url
    assert info.repository == "octo/widgets"


def test_default_branch_from_origin_head(tmp_path: Path, repo: Path, run_git: GitRun) -> None:
    bare = tmp_path / "octo" / "widgets.git"
    bare.parent.mkdir()
    run_git("clone", "-q", "--bare", str(repo), str(bare), cwd=tmp_path)
    run_git("symbolic-ref", "HEAD", "refs/heads/develop", cwd=bare)
    run_git("branch", "develop", "main", cwd=bare)
    clone = tmp_path / "clone"
    run_git("clone", "-q", bare.as_uri(), str(clone), cwd=tmp_path)
    info = repo_info(clone)
    assert info.default_branch == "develop"
    assert info.branch == "develop"
    assert info.repository == "octo/widgets"


def test_default_branch_from_config_then_main(repo: Path, run_git: GitRun) -> None:
    assert repo_info(repo).default_branch == "main"
    run_git("config", "init.defaultBranch", "trunk", cwd=repo)
    assert repo_info(repo).default_branch == "trunk"


def test_actor_falls_back_to_user(
    repo: Path, run_git: GitRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_git("config", "--unset", "user.name", cwd=repo)
    monkeypatch.setenv("USER", "bob")
    assert repo_info(repo).actor == "bob"
