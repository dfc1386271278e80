from __future__ import annotations

import os
from pathlib import Path

import pytest
from trigger_helpers import Git

from conveyor.agent.address import NO_AGENT_ENV as NO_AGENT
from git_repo_helpers import init_repo, isolate_git, run_git


@pytest.fixture(autouse=True)
def _git_identity(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key in list(os.environ):
        if key.startswith("CONVEYOR_") and key != NO_AGENT:
            monkeypatch.delenv(key)
    isolate_git(monkeypatch, tmp_path)


@pytest.fixture
def git() -> Git:
    return run_git


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return init_repo(tmp_path / "repo")
