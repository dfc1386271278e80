"""Fixtures for the console tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from console_events import play


@pytest.fixture
def scenario() -> Callable[..., None]:
    """Plays one run of two threaded jobs into a sink."""
    return play
