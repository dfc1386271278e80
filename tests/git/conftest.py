from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

GitRun = Callable[..., str]


@pytest.fixture(autouse=True)
def _git_identity(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Tester")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "tester@example.com")
    monkeypatch.setenv("GIT_COMMITTER_NAME", "Tester")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "tester@example.com")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")


@pytest.fixture
def run_git() -> GitRun:
    def run(*args: str, cwd: Path) -> str:
        proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
        return proc.stdout.strip()

    return run


@pytest.fixture
def repo(tmp_path: Path, run_git: GitRun) -> Path:
    """A repository on branch ``main`` with one commit."""
    root = tmp_path / "project"
    root.mkdir()
    run_git("init", "-q", "-b", "main", cwd=root)
    run_git("config", "user.name", "Jane Doe", cwd=root)
    (root / "README.md").write_text("hello\n")
    run_git("add", "README.md", cwd=root)
    run_git("commit", "-qm", "first", cwd=root)
    return root
