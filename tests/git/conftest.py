from __future__ import annotations

from pathlib import Path

import pytest

from git_repo_helpers import GitRun, init_repo, isolate_git, run_git


@pytest.fixture(autouse=True)
def _git_identity(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate_git(monkeypatch, tmp_path)


@pytest.fixture(name="run_git")
def run_git_fixture() -> GitRun:
    return run_git


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository on branch ``main`` with one commit."""
    root = init_repo(tmp_path / "project")
    run_git("config", "user.name", "Jane Doe", cwd=root)
    return root
