"""Run one pytest process: own process group, a timeout, cancellation, lines streamed."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

TAIL_LINES = 40
_GRACE = 5.0


@dataclass(frozen=True, slots=True)
class ProcessResult:
    returncode: int | None
    timed_out: bool
    cancelled: bool
    duration: float
    tail: str  # the last lines of output
    error: str = ""  # why it could not start


def _stop(process: subprocess.Popen[str]) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except (ProcessLookupError, PermissionError):
            return
        try:
            process.wait(timeout=_GRACE)
            return
        except subprocess.TimeoutExpired:
            continue


def run_process(
    argv: Sequence[str],
    cwd: Path,
    *,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
    on_line: Callable[[str], None] | None = None,
    cancel: threading.Event | None = None,
) -> ProcessResult:
    started = time.monotonic()
    tail: deque[str] = deque(maxlen=TAIL_LINES)
    try:
        process = subprocess.Popen(
            list(argv),
            cwd=cwd,
            env=dict(env) if env is not None else None,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            errors="replace",
            start_new_session=True,
        )
    except OSError as exc:
        return ProcessResult(None, False, False, 0.0, "", f"cannot start {argv[0]}: {exc}")

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            text = line.rstrip("\n")
            tail.append(text)
            if on_line is not None:
                on_line(text)

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    deadline = None if timeout is None else started + timeout
    timed_out = cancelled = False
    while process.poll() is None:
        if cancel is not None and cancel.is_set():
            cancelled = True
        elif deadline is not None and time.monotonic() >= deadline:
            timed_out = True
        if timed_out or cancelled:
            _stop(process)
            break
        time.sleep(0.05)
    process.wait()
    reader.join(timeout=5)
    return ProcessResult(
        process.returncode,
        timed_out,
        cancelled,
        time.monotonic() - started,
        "\n".join(tail),
    )
