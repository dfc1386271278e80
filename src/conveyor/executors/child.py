"""A job process: ``conveyor job-exec`` reads one job request on stdin, executes it with
this machine's step runner and actions, and writes its events and outcome on stdout.

Kept light to import: no CLI framework, no database, no workflow model. Secrets are read
from this process's environment (``CONVEYOR_SECRET_<NAME>``) by the names the request's
bindings give; the request never holds a value.
"""

from __future__ import annotations

import os
import sys
import threading
import traceback
from pathlib import Path
from typing import BinaryIO

from conveyor.engine.bus import mask_event
from conveyor.engine.events import Event, encode_event
from conveyor.engine.jobexec import execute_job
from conveyor.engine.jobstate import JobServices
from conveyor.engine.masking import Masker, env_masker
from conveyor.engine.status import Conclusion
from conveyor.engine.wire import decode_request, encode, outcome_of
from conveyor.executors.protocol import CANCEL, EVENT, OUTCOME, SECRET_ENV_PREFIX, STOP


class EnvironmentSecrets:
    """Secrets this process was given in its environment."""

    def get(self, name: str) -> str | None:
        return os.environ.get(SECRET_ENV_PREFIX + name)


class _Writer:
    def __init__(self, out: BinaryIO, masker: Masker) -> None:
        self._out = out
        self._masker = masker
        self._lock = threading.Lock()

    def event(self, event: Event) -> None:
        self._write(EVENT + encode_event(mask_event(event, self._masker)) + b"\n")

    def _write(self, data: bytes) -> None:
        with self._lock:
            self._out.write(data)
            self._out.flush()

    def outcome(self, data: bytes) -> None:
        self._write(OUTCOME + data + b"\n")


def _control(stdin: BinaryIO, cancel: threading.Event, stop: threading.Event) -> None:
    """Follow the parent's control lines; the end of input means the parent is gone."""
    for line in iter(stdin.readline, b""):
        if line == STOP:
            stop.set()
            cancel.set()
        elif line == CANCEL:
            cancel.set()
    stop.set()
    cancel.set()


def main() -> int:
    """Run one job; the exit code is 0 when an outcome was written."""
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything else that prints goes to stderr, never into the protocol
    stdin = sys.stdin.buffer
    first = stdin.readline()
    if not first.strip():
        return 0  # a spare the parent did not need
    masker = env_masker(os.environ)
    writer = _Writer(out, masker)
    try:
        request = decode_request(first)
    except ValueError as exc:
        outcome = outcome_of(Conclusion.FAILURE)
        outcome.note = f"job process: unreadable request: {exc}"
        writer.outcome(encode(outcome))
        return 0
    cancel, stop = threading.Event(), threading.Event()
    threading.Thread(target=_control, args=(stdin, cancel, stop), daemon=True).start()
    from conveyor.actions import DefaultActionProvider
    from conveyor.runners import LocalStepRunner, kill_all_process_groups
    from conveyor.tiers.stepreports import StepReportIngester

    services = JobServices(
        LocalStepRunner(),
        DefaultActionProvider(Path(request.state_dir)),
        masker,
        writer.event,
        reports=StepReportIngester(),
    )
    try:
        outcome = execute_job(request, services, EnvironmentSecrets(), cancel, stop)
    except Exception as exc:  # a bug: still end the job with an outcome the parent can use
        traceback.print_exc()
        outcome = outcome_of(Conclusion.FAILURE)
        outcome.note = f"job process failed: {exc!r}"
    finally:
        kill_all_process_groups()
    outcome.note = masker.mask(outcome.note)
    outcome.environment_url = masker.mask(outcome.environment_url)
    writer.outcome(encode(outcome))
    return 0


def exit_now(code: int) -> None:
    """Leave without interpreter shutdown: the control thread may still be blocked reading
    stdin, and shutting down would wait a second for its lock. Everything is flushed."""
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    exit_now(main())
