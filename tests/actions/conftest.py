from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from action_helpers import Env, GitRun


@pytest.fixture(autouse=True)
def _git_identity(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Tester")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "tester@example.com")
    monkeypatch.setenv("GIT_COMMITTER_NAME", "Tester")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "tester@example.com")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.delenv("CONVEYOR_ACTIONS_URL", raising=False)
    monkeypatch.delenv("CONVEYOR_CHECKOUT_MODE", raising=False)


@pytest.fixture
def run_git() -> GitRun:
    def run(*args: str, cwd: Path) -> str:
        proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
        return proc.stdout.strip()

    return run


@pytest.fixture
def env(tmp_path: Path, run_git: GitRun) -> Env:
    """A git repository (branch main, one commit) and an empty workspace beside it."""
    repo = tmp_path / "project"
    repo.mkdir()
    run_git("init", "-q", "-b", "main", cwd=repo)
    (repo / "README.md").write_text("hello\n")
    run_git("add", ".", cwd=repo)
    run_git("commit", "-qm", "first", cwd=repo)
    workspace = tmp_path / "work" / "project"
    workspace.mkdir(parents=True)
    home = tmp_path / "home"
    home.mkdir()
    return Env(repo=repo, workspace=workspace, state_dir=tmp_path / "state", home=home)
