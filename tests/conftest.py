"""Root test configuration: puts tests/ on sys.path so test folders can share helpers.

The suite never uses the conveyor agent (``CONVEYOR_NO_AGENT=1`` for every process it
starts; only ``tests/agent`` turns it back on, with a runtime directory of its own per
test). ``XDG_RUNTIME_DIR`` points at a directory of the session's, and any agent found
there at the end is stopped, so no test run leaves one behind.
"""

import os
import shutil
import tempfile
from collections.abc import Iterator

import pytest

from agent_helpers import stop_agents
from conveyor.agent.address import NO_AGENT_ENV

os.environ[NO_AGENT_ENV] = "1"


@pytest.fixture(autouse=True, scope="session")
def _private_runtime_dir() -> Iterator[str]:
    directory = tempfile.mkdtemp(prefix="cvy-rt-", dir="/tmp")  # short: socket paths
    previous = os.environ.get("XDG_RUNTIME_DIR")
    os.environ["XDG_RUNTIME_DIR"] = directory
    try:
        yield directory
    finally:
        stop_agents(directory)
        if previous is None:
            os.environ.pop("XDG_RUNTIME_DIR", None)
        else:
            os.environ["XDG_RUNTIME_DIR"] = previous
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(autouse=True)
def _no_inherited_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    """A suite run inside a conveyor step inherits the step's $CONVEYOR_REPOSITORY; the
    tests choose their repository themselves (from git, or by setting it)."""
    monkeypatch.delenv("CONVEYOR_REPOSITORY", raising=False)
