"""``--executor process``: each job runs in a child ``conveyor job-exec`` process.

The parent writes the job's request as JSON on the child's stdin and reads its events and
outcome as JSON lines from its stdout (see :mod:`conveyor.executors.protocol`) -- the same
path a remote worker takes. To keep the cost per job small, spare children are started
ahead (one per parallel job): each has already imported what it needs and waits for its
request, and each runs exactly one job. Cancellation is a control line; a child that dies
without an outcome fails its job, and whatever it left running is killed.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from conveyor.engine.bus import StepLog
from conveyor.engine.events import Event, decode_event
from conveyor.engine.status import Conclusion
from conveyor.engine.wire import JobOutcome, JobRequest, decode_outcome, encode, outcome_of
from conveyor.executors.protocol import (
    CANCEL,
    EVENT,
    JOB_TOKEN_ENV,
    OUTCOME,
    SECRET_ENV_PREFIX,
    STOP,
)
from conveyor.runners.groups import kill_marked

POLL_SECONDS = 0.1
EXIT_GRACE_SECONDS = 10.0


def child_command() -> list[str]:
    """How to start a job process: this Python, this conveyor."""
    return [sys.executable, "-m", "conveyor", "job-exec"]


@dataclass
class _Child:
    process: subprocess.Popen[bytes]
    token: str


class ProcessJobExecutor:
    """Executes each job in a child process; ``secrets`` reach the children through their
    environment only. ``spares`` children are kept started ahead."""

    def __init__(self, secrets: Mapping[str, str], *, spares: int = 1) -> None:
        self._env = {k: v for k, v in os.environ.items() if not k.startswith(SECRET_ENV_PREFIX)}
        self._env.update({SECRET_ENV_PREFIX + name: value for name, value in secrets.items()})
        self._spares: list[_Child] = []
        self._lock = threading.Lock()
        self._closed = False
        self._wanted = max(0, spares)
        for _ in range(self._wanted):
            self._spares.append(self._start())

    def _start(self) -> _Child:
        token = uuid.uuid4().hex
        process = subprocess.Popen(
            child_command(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**self._env, JOB_TOKEN_ENV: token},
        )
        return _Child(process, token)

    def _take(self) -> _Child:
        with self._lock:
            child = self._spares.pop(0) if self._spares else None
        if child is None or child.process.poll() is not None:
            child = self._start()
        threading.Thread(target=self._refill, daemon=True).start()
        return child

    def _refill(self) -> None:
        with self._lock:
            if self._closed or len(self._spares) >= self._wanted:
                return
        spare = self._start()
        with self._lock:
            keep = not self._closed
            if keep:
                self._spares.append(spare)
        if not keep:
            _dismiss(spare)

    def execute(
        self,
        request: JobRequest,
        publish: Callable[[Event], None],
        cancel: threading.Event,
        stop: threading.Event,
    ) -> JobOutcome:
        child = self._take()
        try:
            return _Exchange(child, request, publish, cancel, stop).run()
        finally:
            _dismiss(child)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            spares, self._spares = self._spares, []
        for spare in spares:
            _dismiss(spare)


def _dismiss(child: _Child) -> None:
    """Make sure the child and everything it started is gone."""
    process = child.process
    with contextlib.suppress(OSError):
        if process.stdin is not None and not process.stdin.closed:
            process.stdin.close()
    try:
        process.wait(timeout=EXIT_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    kill_marked(JOB_TOKEN_ENV, child.token)
    for stream in (process.stdout, process.stderr):
        if stream is not None:
            stream.close()


class _Exchange:
    """One job's conversation with its child."""

    def __init__(
        self,
        child: _Child,
        request: JobRequest,
        publish: Callable[[Event], None],
        cancel: threading.Event,
        stop: threading.Event,
    ) -> None:
        self.child = child
        self.request = request
        self.publish = publish
        self.cancel = cancel
        self.stop = stop
        self.log = StepLog(publish, request.run.run_id, request.job_key, None)
        self.outcome: JobOutcome | None = None
        self.sent: set[bytes] = set()

    def _send(self, data: bytes) -> None:
        stdin = self.child.process.stdin
        if data in self.sent or stdin is None:
            return
        self.sent.add(data)
        with contextlib.suppress(OSError):
            stdin.write(data)
            stdin.flush()

    def run(self) -> JobOutcome:
        process = self.child.process
        assert process.stdout is not None and process.stderr is not None
        self._send(encode(self.request) + b"\n")
        buffers = {process.stdout.fileno(): b"", process.stderr.fileno(): b""}
        out_fd = process.stdout.fileno()
        selector = selectors.DefaultSelector()
        selector.register(process.stdout, selectors.EVENT_READ)
        selector.register(process.stderr, selectors.EVENT_READ)
        deadline = time.time() + self.request.timeout_minutes * 60 + 60
        open_fds = set(buffers)
        with selector:
            while open_fds:
                if self.stop.is_set():
                    self._send(STOP)
                elif self.cancel.is_set():
                    self._send(CANCEL)
                if time.time() > deadline:
                    process.kill()
                for key, _ in selector.select(POLL_SECONDS):
                    fd = key.fd
                    chunk = os.read(fd, 65536)
                    if not chunk:
                        selector.unregister(key.fileobj)
                        open_fds.discard(fd)
                        chunk = b"\n" if buffers[fd] else b""
                    lines = (buffers[fd] + chunk).split(b"\n")
                    buffers[fd] = lines.pop()
                    for line in lines:
                        if fd == out_fd:
                            self._message(line)
                        elif line.strip():
                            self.log.line(line.decode("utf-8", "replace"), "stderr")
        code = process.wait()
        if self.outcome is not None:
            return self.outcome
        outcome = outcome_of(Conclusion.CANCELLED if self.stop.is_set() else Conclusion.FAILURE)
        outcome.note = f"the job process ended (exit code {code}) before the job finished"
        self.log.error(outcome.note)
        return outcome

    def _message(self, line: bytes) -> None:
        if line.startswith(EVENT):
            self.publish(decode_event(line[1:]))
        elif line.startswith(OUTCOME):
            self.outcome = decode_outcome(line[1:])
