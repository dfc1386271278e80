"""The agent's loop: accept a command, fork a worker for it, pass signals, report its end.

One process per user and installed conveyor (:mod:`conveyor.agent.address`), in a session
of its own. It imports what commands need once (``preload``), then forks a worker per
request (:func:`conveyor.executors.forkserver.fork_with_stdio`, the job fork server's
own) with the client's descriptors as its standard streams. A selector watches, for each
worker, its client's connection (``S<signal>`` lines are passed on -- SIGTSTP as SIGSTOP,
since a worker's process group is orphaned and would ignore SIGTSTP; the connection's end
means the client is gone, so the worker gets SIGTERM and, 5 s later, SIGKILL) and its
pidfd (it ended: the client gets ``X<code>`` or ``K<signal>``). The agent exits after
``idle_s`` without a worker, when asked to stop, or when its socket is no longer its own.
"""

from __future__ import annotations

import contextlib
import fcntl
import gc
import json
import os
import selectors
import signal
import socket
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from conveyor.agent import address, wire
from conveyor.agent.control import retire_older
from conveyor.agent.worker import Command
from conveyor.agent.worker import run as run_worker
from conveyor.executors.forkserver import fork_with_stdio

KILL_GRACE_S = 5.0
REQUEST_TIMEOUT_S = 5.0


class _Worker:
    __slots__ = ("conn", "doomed_at", "pid", "pidfd", "report", "started")

    def __init__(self, conn: socket.socket, pid: int, report: int) -> None:
        self.conn, self.pid, self.report = conn, pid, report
        self.pidfd = os.pidfd_open(pid)
        self.started = time.monotonic()
        self.doomed_at: float | None = None  # when the client went away


class Agent:
    def __init__(
        self, listener: socket.socket, path: str, key: str, command: Command, lock: int
    ) -> None:
        self.listener, self.path, self.key, self.command = listener, path, key, command
        self.lock = lock  # held for the agent's life; a worker must not keep it
        self.inode = Path(path).stat().st_ino
        self.selector = selectors.DefaultSelector()
        self.selector.register(listener, selectors.EVENT_READ, self._accept)
        self.workers: dict[int, _Worker] = {}
        self.served = 0
        self.started = time.time()
        self.last_used = time.monotonic()
        self.last_worker: dict[str, int] = {}
        self.accepting = True

    # -- the loop -----------------------------------------------------------------------

    def loop(self, idle_s: float) -> None:
        while self.accepting or self.workers:
            now = time.monotonic()
            if self.accepting and not self.workers and now - self.last_used >= idle_s:
                break
            timeout = idle_s - (now - self.last_used) if not self.workers else 1.0
            for worker in self.workers.values():
                if worker.doomed_at is not None:
                    timeout = min(timeout, max(0.0, worker.doomed_at + KILL_GRACE_S - now))
            for key, _events in self.selector.select(max(0.0, timeout)):
                key.data()
            self._escalate()
            if self.accepting and not self._still_ours():
                self._stop_accepting()
        self._stop_accepting()

    def _still_ours(self) -> bool:
        try:
            return Path(self.path).stat().st_ino == self.inode
        except OSError:
            return False

    def _stop_accepting(self) -> None:
        if not self.accepting:
            return
        self.accepting = False
        self.selector.unregister(self.listener)
        if self._still_ours():
            Path(self.path).unlink()
        self.listener.close()

    def _escalate(self) -> None:
        now = time.monotonic()
        for worker in self.workers.values():
            if worker.doomed_at is not None and now - worker.doomed_at >= KILL_GRACE_S:
                _signal(worker.pid, signal.SIGKILL)

    # -- requests -----------------------------------------------------------------------

    def _accept(self) -> None:
        try:
            conn, _ = self.listener.accept()
        except OSError:
            return
        self.last_used = time.monotonic()
        conn.settimeout(REQUEST_TIMEOUT_S)
        fds: list[int] = []
        try:
            request, fds, early = _receive(conn)
            if _peer_uid(conn) != os.getuid():
                raise PermissionError("another user")
            if request.kind == wire.RUN and len(fds) == 3:
                self._start(conn, request, fds, early)
                return
            if request.kind == wire.STATUS:
                conn.sendall(b"J" + json.dumps(self.status()).encode() + b"\n")
            elif request.kind == wire.STOP:
                conn.sendall(b"J" + json.dumps(self.status()).encode() + b"\n")
                self._stop_accepting()
            else:
                conn.sendall(b"Ebad request\n")
        except (OSError, ValueError, IndexError) as exc:
            print(f"conveyor agent: refused a request: {exc}", file=sys.stderr)
        for fd in fds:
            os.close(fd)
        conn.close()

    def _start(
        self, conn: socket.socket, request: wire.Request, fds: list[int], early: bytes
    ) -> None:
        report_r, report_w = os.pipe()
        body = partial(self._in_worker, conn, request, report_w)
        pid = fork_with_stdio(fds, body)
        os.close(report_w)
        worker = _Worker(conn, pid, report_r)
        self.workers[pid] = worker
        self.served += 1
        conn.setblocking(False)
        self.selector.register(conn, selectors.EVENT_READ, partial(self._client_said, worker))
        self.selector.register(worker.pidfd, selectors.EVENT_READ, partial(self._ended, worker))
        self._deliver(worker, early)  # signals the client sent right behind its request

    def _in_worker(self, conn: socket.socket, request: wire.Request, report_fd: int) -> int:
        """In the forked worker: leave the agent's sockets behind, then run the command."""
        conn.close()
        os.close(self.lock)
        self.selector.close()
        if self.accepting:
            self.listener.close()
        for other in self.workers.values():
            other.conn.close()
            os.close(other.pidfd)
            os.close(other.report)
        gc.unfreeze()
        return run_worker(request, self.command, report_fd)

    def _client_said(self, worker: _Worker) -> None:
        try:
            data = worker.conn.recv(4096)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:  # the client is gone (even kill -9): so is its command
            self.selector.unregister(worker.conn)
            if worker.doomed_at is None:
                worker.doomed_at = time.monotonic()
                _signal(worker.pid, signal.SIGTERM)
                _signal(worker.pid, signal.SIGCONT)  # a stopped worker must see it
            return
        self._deliver(worker, data)

    def _deliver(self, worker: _Worker, data: bytes) -> None:
        for line in data.split(b"\n"):
            if line.startswith(b"S") and line[1:].isdigit():
                signum = int(line[1:])
                _signal(worker.pid, signal.SIGSTOP if signum == signal.SIGTSTP else signum)

    def _ended(self, worker: _Worker) -> None:
        _pid, status, usage = os.wait4(worker.pid, 0)
        self.selector.unregister(worker.pidfd)
        os.close(worker.pidfd)
        try:
            private = int(os.read(worker.report, 32) or b"0")
        except (OSError, ValueError):
            private = 0
        os.close(worker.report)
        del self.workers[worker.pid]
        self.last_used = time.monotonic()
        self.last_worker = {
            "pid": worker.pid,
            "maxrss_kib": usage.ru_maxrss,
            "private_kib": private,
            "wall_ms": round((time.monotonic() - worker.started) * 1000),
        }
        if os.WIFSIGNALED(status):
            answer = b"K%d\n" % os.WTERMSIG(status)
        else:
            answer = b"X%d\n" % os.waitstatus_to_exitcode(status)
        if worker.doomed_at is None:
            self.selector.unregister(worker.conn)
            try:
                worker.conn.setblocking(True)
                worker.conn.sendall(answer)
            except OSError:
                pass
        worker.conn.close()

    def status(self) -> dict[str, Any]:
        return {
            "pid": os.getpid(),
            "key": self.key,
            "socket": self.path,
            "started": self.started,
            "served": self.served,
            "running": sorted(self.workers),
            "rss_kib": _rss_kib(),
            "last_worker": self.last_worker,
        }


def _receive(conn: socket.socket) -> tuple[wire.Request, list[int], bytes]:
    """The request, the descriptors sent with it, and what came right behind it."""
    data, fds, _flags, _addr = socket.recv_fds(conn, 1 << 16, 3)
    if len(data) < 4:
        raise ValueError("short request")
    length = wire.body_length(data)
    if length > wire.MAX_REQUEST:
        raise ValueError("request too large")
    body = bytearray(data[4:])
    while len(body) < length:
        chunk = conn.recv(min(1 << 16, length - len(body)))
        if not chunk:
            raise ValueError("request cut short")
        body += chunk
    return wire.decode(bytes(body[:length])), list(fds), bytes(body[length:])


def _peer_uid(conn: socket.socket) -> int:
    creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12)
    return int.from_bytes(creds[4:8], sys.byteorder)


def _signal(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, signum)


def _rss_kib() -> int:
    try:
        with Path("/proc/self/status").open(encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def serve(key: str, command: Command, preload: Callable[[], None]) -> int:
    """Run the agent for ``key`` until idle (``$CONVEYOR_AGENT_IDLE`` s, default 15 min);
    0 at once if another agent for ``key`` holds the lock."""
    directory = address.runtime_dir()
    lock = os.open(address.lock_path(directory, key), os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return 0
    log = os.open(address.log_path(directory, key), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    null = os.open(os.devnull, os.O_RDWR)
    for fd, target in ((null, 0), (null, 1), (log, 2)):
        os.dup2(fd, target)
    os.close(null)
    os.close(log)
    os.chdir("/")
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _exit_on_signal)
    idle_s = float(os.environ.get(address.IDLE_ENV) or address.DEFAULT_IDLE_S)
    preload()
    gc.collect()
    gc.freeze()  # the workers share these pages: the collector must not touch them
    path = address.socket_path(directory, key)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    Path(path).unlink(missing_ok=True)  # we hold the lock: a socket here is a dead agent's
    old_mask = os.umask(0o177)
    try:
        listener.bind(path)
    finally:
        os.umask(old_mask)
    listener.listen(64)
    retire_older(directory, key)
    agent = Agent(listener, path, key, command, lock)
    try:
        agent.loop(idle_s)
    finally:
        agent._stop_accepting()
    return 0


def _exit_on_signal(signum: int, frame: object) -> None:
    del frame
    raise SystemExit(128 + signum)
