"""Root test configuration: puts tests/ on sys.path so test folders can share helpers."""

import pytest


@pytest.fixture(autouse=True)
def _no_inherited_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    """A suite run inside a conveyor step inherits the step's $CONVEYOR_REPOSITORY; the
    tests choose their repository themselves (from git, or by setting it)."""
    monkeypatch.delenv("CONVEYOR_REPOSITORY", raising=False)
