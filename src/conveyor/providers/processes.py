"""Stopping the process provider's detached processes (started by
:mod:`conveyor.providers.pids`): one at a time, or every one left behind."""

from __future__ import annotations

import signal
import time
from pathlib import Path

from conveyor.providers.pids import POLL_SECONDS, reap, running
from conveyor.providers.routing import MARKER_ENV
from conveyor.runners.groups import group_running, kill_marked, signal_group


def stop(pid: int, known: str, grace: float) -> bool:
    """SIGTERM the process group of ``pid``, wait up to ``grace`` seconds, then SIGKILL.
    False when it was not running (or the pid is now another process's)."""
    if not running(pid, known):
        return False
    signal_group(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        reap(pid)
        if not group_running(pid):
            return True
        time.sleep(POLL_SECONDS)
    signal_group(pid, signal.SIGKILL)
    deadline = time.monotonic() + 5.0
    while group_running(pid) and time.monotonic() < deadline:
        reap(pid)
        time.sleep(POLL_SECONDS)
    reap(pid)
    return True


def sweep(marker: Path) -> int:
    """SIGKILL whatever still carries ``marker`` (a crash may leave a child behind)."""
    return kill_marked(MARKER_ENV, str(marker))
