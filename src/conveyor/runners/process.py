"""Running one step process: its own process group, its output reader, timeout, cancellation.

The child gets stdin from ``/dev/null`` and a new session (so a signal to its group
reaches everything it started, and the terminal's Ctrl-C does not). stdout and stderr
share one pipe, read line by line by a daemon thread that hands each line to ``feed``,
so lines keep the order the step wrote them in. When ``feed`` raises (the history
database went away), the rest of the output is drained unread and the error is raised in
the caller's thread once the process has ended.

Stopping (timeout or cancellation): SIGTERM to the group, up to ``kill_grace``
seconds for it to go, then SIGKILL. When the leader exits but something it started
still holds the output pipes (``sleep 100 &``), the runner waits ``orphan_grace``
seconds for the pipes to close and then stops the group the same way, so the step
always finishes.
"""

from __future__ import annotations

import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from conveyor.engine.watchdog import exited_within
from conveyor.runners import groups

Feed = Callable[[str, str], None]  # (line without its newline, stream name)

WAIT_SLICE = 0.1  # how often cancellation is checked while the process runs
ABANDON_AFTER = 1.0  # how long to wait for pipes once the group is dead


@dataclass(frozen=True, slots=True)
class Limits:
    timeout: float | None = None
    kill_grace: float = 2.0
    orphan_grace: float = 0.5


@dataclass(frozen=True, slots=True)
class ProcessOutcome:
    exit_code: int
    timed_out: bool = False
    cancelled: bool = False
    killed_background: bool = False  # leftover processes held the pipes and were stopped
    output_abandoned: bool = False  # something outside the group still held the pipes


class _Reader:
    """A daemon thread feeding the step's output line by line; ``closed`` is set at EOF.

    stdout and stderr share one pipe, so lines arrive in exactly the order the step wrote
    them (as a terminal shows them) and a value registered with ``::add-mask::`` is masked
    on every later line, whichever stream it is written to.
    """

    def __init__(self, proc: subprocess.Popen[bytes], feed: Feed) -> None:
        self.closed = threading.Event()
        self.error: Exception | None = None  # the first line ``feed`` could not take
        assert proc.stdout is not None
        pump = threading.Thread(target=self._pump, args=(proc.stdout, feed), name="conveyor-output")
        pump.daemon = True
        pump.start()

    def _pump(self, pipe: IO[bytes], feed: Feed) -> None:
        try:
            with pipe:
                for raw in iter(pipe.readline, b""):
                    if self.error is not None:
                        continue  # drained, so the step is not blocked on a full pipe
                    end = len(raw)
                    if raw.endswith(b"\n"):
                        end -= 2 if raw.endswith(b"\r\n") else 1
                    try:
                        feed(raw[:end].decode("utf-8", errors="replace"), "stdout")
                    except Exception as exc:  # raised in the step's thread (run_process)
                        self.error = exc
        finally:
            self.closed.set()

    def wait(self, seconds: float) -> bool:
        """True once the output pipe is closed; waits at most ``seconds``."""
        return self.closed.wait(seconds)


def stop_group(proc: subprocess.Popen[bytes], grace: float) -> None:
    """SIGTERM the process group, wait up to ``grace`` seconds, SIGKILL what is left."""
    pgid = proc.pid
    groups.signal_group(pgid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while True:
        if proc.poll() is not None and not groups.group_running(pgid):
            return
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        time.sleep(min(groups.POLL_SECONDS, remaining))
    groups.signal_group(pgid, signal.SIGKILL)
    proc.wait()


def _exit_code(returncode: int) -> int:
    """Shell convention: killed by signal N → 128 + N."""
    return 128 - returncode if returncode < 0 else returncode


def run_process(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    feed: Feed,
    cancel: threading.Event,
    limits: Limits,
    owner: str = "",
) -> ProcessOutcome:
    """Run ``argv`` to completion; raises ``OSError`` when it cannot start."""
    since = groups.generation()
    proc = subprocess.Popen(
        list(argv),
        cwd=cwd,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    interrupted = not groups.register(proc.pid, owner, since)
    try:
        reader = _Reader(proc, feed)
        if interrupted:  # everything was killed while this process was starting
            stop_group(proc, 0.0)
        timed_out, cancelled = _wait(proc, reader, cancel, limits.timeout)
        if timed_out or cancelled:
            stop_group(proc, limits.kill_grace)
        killed_background = False
        if not reader.wait(limits.orphan_grace):
            killed_background = groups.group_running(proc.pid)
            stop_group(proc, limits.kill_grace)
        abandoned = not reader.wait(ABANDON_AFTER)
        returncode = proc.wait()
        if reader.error is not None:  # e.g. the history database went away mid-step
            raise reader.error
    except BaseException:
        stop_group(proc, 0.0)
        groups.unregister(proc.pid)
        raise
    if not groups.group_alive(proc.pid):
        groups.unregister(proc.pid)
    return ProcessOutcome(
        exit_code=_exit_code(returncode),
        timed_out=timed_out,
        cancelled=cancelled,
        killed_background=killed_background,
        output_abandoned=abandoned,
    )


def _wait(
    proc: subprocess.Popen[bytes],
    reader: _Reader,
    cancel: threading.Event,
    timeout: float | None,
) -> tuple[bool, bool]:
    """Wait for the leader to exit; returns ``(timed_out, cancelled)``.

    Usually the pipes close when the leader exits, so waiting on them (an event,
    not polling) notices a quick step at once; ``proc.wait`` covers a leader that
    closed its output early, and the leader's exit is checked each slice in case
    something it started keeps the pipes open.
    """
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        slice_ = WAIT_SLICE
        if deadline is not None:
            slice_ = min(slice_, max(deadline - time.monotonic(), 0.0))
        if reader.closed.is_set():
            exited_within(proc, slice_)
        else:
            reader.wait(slice_)
        if proc.poll() is not None:
            return False, False
        if cancel.is_set():
            return False, True
        if deadline is not None and time.monotonic() >= deadline:
            return True, False
