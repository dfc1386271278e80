"""``--executor process``: each job runs in a child ``conveyor`` job process.

The parent writes the job's request as JSON on the child's stdin and reads its events and
outcome as JSON lines from its stdout (see :mod:`conveyor.executors.protocol`) -- the same
path a remote worker takes. Job processes are forked by a fork server started once per
executor (:mod:`conveyor.executors.forkserver`), which has already imported what a job
needs, so a job starts in milliseconds; each job process runs exactly one job, in a
session of its own. Cancellation is a control line; a child that dies without an outcome
fails its job, and whatever it left running is killed.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import socket
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
from conveyor.errors import ConveyorError
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
DEADLINE_GRACE_SECONDS = 60.0


def fork_server_command(fd: int) -> list[str]:
    """How to start the fork server: this Python, this conveyor."""
    return [sys.executable, "-m", "conveyor", "job-exec", "--fork-server", str(fd)]


class ExecutorError(ConveyorError):
    """The job processes could not be started."""


@dataclass
class _Child:
    pid: int
    token: str
    stdin: int
    stdout: int
    stderr: int


class ProcessJobExecutor:
    """Executes each job in a child process; ``secrets`` reach the children through their
    environment only (the fork server's, which they inherit)."""

    def __init__(self, secrets: Mapping[str, str], *, spares: int = 1) -> None:
        del spares  # kept for callers; the fork server makes spares unnecessary
        env = {k: v for k, v in os.environ.items() if not k.startswith(SECRET_ENV_PREFIX)}
        env.update({SECRET_ENV_PREFIX + name: value for name, value in secrets.items()})
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self._socket = ours
        self._replies = ours.makefile("rb")
        self._lock = threading.Lock()
        self._server = subprocess.Popen(
            fork_server_command(theirs.fileno()),
            pass_fds=(theirs.fileno(),),
            stdin=subprocess.DEVNULL,
            env=env,
            # A group of its own, like every step: signals for the terminal's group (Ctrl-C)
            # reach the parent, which cancels the jobs; sweeps of it reach nothing else.
            start_new_session=True,
        )
        theirs.close()

    def _fork(self) -> _Child:
        stdin_r, stdin_w = os.pipe()
        stdout_r, stdout_w = os.pipe()
        stderr_r, stderr_w = os.pipe()
        token = uuid.uuid4().hex
        try:
            with self._lock:
                socket.send_fds(self._socket, [token.encode()], [stdin_r, stdout_w, stderr_w])
                reply = self._replies.readline()
        finally:
            for fd in (stdin_r, stdout_w, stderr_w):
                os.close(fd)
        if not reply.strip().isdigit():
            for fd in (stdin_w, stdout_r, stderr_r):
                os.close(fd)
            code = self._server.poll()
            raise ExecutorError(
                f"the job process server stopped (exit code {code}); run again, or use "
                "--executor local"
            )
        return _Child(int(reply), token, stdin_w, stdout_r, stderr_r)

    def execute(
        self,
        request: JobRequest,
        publish: Callable[[Event], None],
        cancel: threading.Event,
        stop: threading.Event,
    ) -> JobOutcome:
        child = self._fork()
        exchange = _Exchange(child, request, publish, cancel, stop)
        try:
            return exchange.run()
        finally:
            for fd in (child.stdin, child.stdout, child.stderr):
                with contextlib.suppress(OSError):
                    os.close(fd)
            if exchange.outcome is None:  # it died without cleaning up after its steps
                kill_marked(JOB_TOKEN_ENV, child.token)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._socket.shutdown(socket.SHUT_RDWR)
        self._replies.close()
        self._socket.close()
        try:
            self._server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._server.kill()
            self._server.wait()


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
        if data in self.sent:
            return
        self.sent.add(data)
        with contextlib.suppress(OSError):
            view = memoryview(data)
            while view:
                view = view[os.write(self.child.stdin, view) :]

    def run(self) -> JobOutcome:
        child = self.child
        self._send(encode(self.request) + b"\n")
        buffers = {child.stdout: b"", child.stderr: b""}
        selector = selectors.DefaultSelector()
        selector.register(child.stdout, selectors.EVENT_READ)
        selector.register(child.stderr, selectors.EVENT_READ)
        deadline = time.time() + self.request.timeout_minutes * 60 + DEADLINE_GRACE_SECONDS
        open_fds = set(buffers)
        with selector:
            while open_fds:
                if self.stop.is_set():
                    self._send(STOP)
                elif self.cancel.is_set():
                    self._send(CANCEL)
                if time.time() > deadline:
                    with contextlib.suppress(OSError):
                        os.kill(child.pid, signal.SIGKILL)
                for key, _ in selector.select(POLL_SECONDS):
                    fd = int(key.fd)
                    chunk = os.read(fd, 65536)
                    if not chunk:
                        selector.unregister(fd)
                        open_fds.discard(fd)
                        chunk = b"\n" if buffers[fd] else b""
                    lines = (buffers[fd] + chunk).split(b"\n")
                    buffers[fd] = lines.pop()
                    for line in lines:
                        if fd == child.stdout:
                            self._message(line)
                        elif line.strip():
                            self.log.line(line.decode("utf-8", "replace"), "stderr")
        if self.outcome is not None:
            return self.outcome
        outcome = outcome_of(Conclusion.CANCELLED if self.stop.is_set() else Conclusion.FAILURE)
        outcome.note = f"the job process (pid {child.pid}) ended before the job finished"
        self.log.error(outcome.note)
        return outcome

    def _message(self, line: bytes) -> None:
        if line.startswith(EVENT):
            self.publish(decode_event(line[1:]))
        elif line.startswith(OUTCOME):
            self.outcome = decode_outcome(line[1:])
