"""The job-process fork server: ``conveyor job-exec --fork-server FD``.

Starting a Python process and importing conveyor costs about a tenth of a second; forking
a process that already has costs a few milliseconds. So the process executor starts this
server once: it imports what a job needs, then, for each job, receives the three ends of
the job's stdin/stdout/stderr pipes over a UNIX socket (with ``SCM_RIGHTS``), forks, and
the child -- in a session of its own -- runs exactly one job with those pipes as its
standard streams (:func:`conveyor.executors.child.main`). The server answers with the
child's pid. It exits when the socket closes (the parent is done, or gone).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
import traceback
from collections.abc import Callable, Sequence
from functools import partial

from conveyor.executors.protocol import JOB_TOKEN_ENV

MAX_MESSAGE = 256


def fork_with_stdio(fds: Sequence[int], body: Callable[[], int]) -> int:
    """Fork a child in a session of its own whose standard streams are ``fds`` (stdin,
    stdout, stderr) and which exits with ``body()``'s code, without interpreter shutdown;
    returns its pid. The parent's copies of ``fds`` are closed. Used by this fork server
    (a job per child) and by the conveyor agent (a command per child)."""
    pid = os.fork()
    if pid:
        for fd in fds:
            os.close(fd)
        return pid
    code = 1
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the child's own processes are waitable
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.setsid()
        for target, fd in zip((0, 1, 2), fds, strict=True):
            os.dup2(fd, target)
        for fd in set(fds):
            if fd > 2:
                os.close(fd)
        code = body()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # a forked child must never return into its parent's loop
        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        os._exit(code)


def _job(server: socket.socket, token: str) -> int:
    from conveyor.executors.child import main

    server.close()
    os.environ[JOB_TOKEN_ENV] = token
    return main()


def _preload() -> None:
    """Import, once and here, what every job process would otherwise import itself."""
    import conveyor.actions
    import conveyor.engine.actionrun
    import conveyor.engine.composite
    import conveyor.engine.jsaction
    import conveyor.executors.child
    import conveyor.runners  # noqa: F401


def serve(fd: int) -> int:
    """Fork a job process for every request on the socket ``fd``; returns at its end."""
    _preload()

    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # job processes are reaped by the kernel
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when jobs stop
    server = socket.socket(fileno=fd)
    while True:
        try:
            message, fds, _flags, _addr = socket.recv_fds(server, MAX_MESSAGE, 3)
        except OSError as exc:
            print(f"conveyor job process server: {exc}", file=sys.stderr)
            return 0
        if not message:
            return 0
        if len(fds) != 3:
            for stray in fds:
                os.close(stray)
            continue
        pid = fork_with_stdio(fds, partial(_job, server, message.decode()))
        server.sendall(f"{pid}\n".encode())


if __name__ == "__main__":
    sys.exit(serve(int(sys.argv[1])))
