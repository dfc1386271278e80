import pytest
from reporting_helpers import REPOSITORY_KEY, receiver

__all__ = ["receiver"]


@pytest.fixture(autouse=True)
def _scope(monkeypatch: pytest.MonkeyPatch) -> None:
    """`report latest` and `notify latest` look at the repository the runs are in."""
    monkeypatch.setenv("CONVEYOR_REPOSITORY", REPOSITORY_KEY)
