"""Starting a provider's detached servers (the router, the static sites' server) and
waiting until they announce themselves; stopping the detached processes (started by
:mod:`conveyor.providers.pids`): one at a time, or every one left behind."""

from __future__ import annotations

import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from conveyor.delivery.ports import ProviderError
from conveyor.providers.pids import POLL_SECONDS, child_env, identity, reap, running, spawn, tail
from conveyor.providers.routing import MARKER_ENV
from conveyor.runners.groups import group_running, kill_marked, signal_group

T = TypeVar("T")


def start_server(
    module: str, root: Path, log: Path, announced: Callable[[int], T | None], *, what: str,
    timeout: float,
) -> T:  # fmt: skip
    """Start ``python -m module root`` detached (output in ``log``) and wait until
    ``announced(pid)`` gives what it wrote about itself; a ``ProviderError`` naming
    ``what`` and the end of its log when it exits first or takes longer than ``timeout``."""
    pid = spawn([sys.executable, "-m", module, str(root)], cwd=root, env=child_env(root), log=log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        code = reap(pid)
        found = announced(pid)
        if found is not None:
            return found
        if code is not None or identity(pid) is None:
            raise ProviderError(
                f"{what} did not start; its log ({log}) ends with:\n" + tail(log, 5)
            )
        time.sleep(POLL_SECONDS)
    stop(pid, "", 1.0)
    raise ProviderError(f"{what} did not start within {timeout:.0f}s; see {log}")


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
