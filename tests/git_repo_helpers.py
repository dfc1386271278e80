"""Temporary git repositories for tests (shared by the actions, git and triggers tests)."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

GitRun = Callable[..., str]


def isolate_git(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Commits by ``Tester``; no global or system git config is read."""
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Tester")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "tester@example.com")
    monkeypatch.setenv("GIT_COMMITTER_NAME", "Tester")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "tester@example.com")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")


def run_git(*args: str, cwd: Path) -> str:
    """stdout of ``git *args`` in ``cwd``, stripped; raises when git fails."""
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return proc.stdout.strip()


def init_repo(root: Path) -> Path:
    """Create ``root`` as a repository on branch ``main`` with one commit (``README.md``)."""
    root.mkdir()
    run_git("init", "-q", "-b", "main", cwd=root)
    (root / "README.md").write_text("hello\n")
    run_git("add", "-A", cwd=root)
    run_git("commit", "-qm", "first", cwd=root)
    return root
