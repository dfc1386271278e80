from __future__ import annotations

from pathlib import Path

import pytest
from action_helpers import Env

from git_repo_helpers import GitRun, init_repo, isolate_git, run_git


@pytest.fixture(autouse=True)
def _git_identity(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate_git(monkeypatch, tmp_path)
    monkeypatch.delenv("CONVEYOR_ACTIONS_URL", raising=False)
    monkeypatch.delenv("CONVEYOR_CHECKOUT_MODE", raising=False)


@pytest.fixture(name="run_git")
def run_git_fixture() -> GitRun:
    return run_git


@pytest.fixture
def env(tmp_path: Path) -> Env:
    """A git repository (branch main, one commit) and an empty workspace beside it."""
    repo = init_repo(tmp_path / "project")
    workspace = tmp_path / "work" / "project"
    workspace.mkdir(parents=True)
    home = tmp_path / "home"
    home.mkdir()
    return Env(repo=repo, workspace=workspace, state_dir=tmp_path / "state", home=home)
