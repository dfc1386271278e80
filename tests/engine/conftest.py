"""Fixtures shared by the engine tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from engine_helpers import git_repo


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return git_repo(tmp_path / "repo")
