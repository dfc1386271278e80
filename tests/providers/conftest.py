"""Fixtures of the provider tests: a state directory whose deployments are stopped
after each test, which then fails if any process of it is still running."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from providers_helpers import marked_processes

from conveyor.providers.process import ProcessProvider, stop_all


@pytest.fixture
def state_dir(tmp_path: Path) -> Iterator[Path]:
    state = tmp_path / "state"
    state.mkdir()
    yield state
    stop_all(state)
    left = marked_processes(state)
    assert not left, f"processes left behind: {left}"


@pytest.fixture
def provider(state_dir: Path) -> ProcessProvider:
    return ProcessProvider(state_dir)
