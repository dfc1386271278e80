"""How a conveyor command that starts child processes is interrupted, in one place.

:func:`interruptible` wraps the work of ``conveyor run`` / ``conveyor test``:

* SIGINT (Ctrl-C) and SIGTERM set the returned event instead of raising, so the work
  cancels itself (every process started through :func:`conveyor.runners.process.run_process`
  watches a cancel event) and records what happened;
* an :class:`~conveyor.engine.watchdog.OrphanGuard` kills every child if conveyor itself
  is killed with ``kill -9``;
* on leaving, every process group still registered is stopped (SIGTERM, then SIGKILL).

The caller decides what an interrupt means afterwards (exit 130 via
:class:`~conveyor.errors.Interrupted`).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

from conveyor.engine.watchdog import OrphanGuard
from conveyor.runners.groups import kill_all_process_groups

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextmanager
def interruptible(interrupt: threading.Event | None = None) -> Iterator[threading.Event]:
    """The event set by SIGINT/SIGTERM while the block runs (handlers only on the main
    thread); an orphan guard for the block; every registered process group stopped after."""
    event = interrupt if interrupt is not None else threading.Event()

    def handler(signum: int, frame: FrameType | None) -> None:
        del signum, frame
        event.set()

    guard = OrphanGuard()
    guard.start()
    previous: dict[int, Any] = {}
    try:
        if threading.current_thread() is threading.main_thread():
            previous = {s: signal.signal(s, handler) for s in _SIGNALS}
        yield event
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)
        kill_all_process_groups()
        guard.stop()
