"""The forked worker: becomes the command's process, then runs the command.

Everything a cold ``conveyor`` process takes from where it was started is taken from the
client's request: the working directory, the environment (``TZ``, ``TMPDIR`` and the
locale read again), the umask, ``sys.argv``, and standard streams opened on the client's
own descriptors the way Python opens them (a terminal stays a terminal: ``isatty()``,
its size and its line buffering are the same). Signals are as in a fresh interpreter.
"""

from __future__ import annotations

import contextlib
import io
import locale
import os
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from conveyor.agent.wire import Request

Command = Callable[[list[str]], int]
_REPLACED: list[object] = []  # the agent's own streams: never closed (they hold fds 0-2)


def become(request: Request) -> None:
    """Take on the client's directory, environment, umask and arguments."""
    os.environ.clear()
    for name, value in request.env:
        os.environb[name] = value
    os.chdir(request.cwd)
    os.umask(request.umask)
    time.tzset()
    tempfile.tempdir = None
    with contextlib.suppress(locale.Error):
        locale.setlocale(locale.LC_CTYPE, "")
    sys.argv = [os.fsdecode(arg) for arg in request.argv] or ["conveyor"]
    for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGTSTP, signal.SIGCONT, signal.SIGQUIT):
        signal.signal(signum, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)  # as Python sets it at start
    _open_streams()


def _open_streams() -> None:
    """``sys.stdin``/``stdout``/``stderr`` on descriptors 0-2 with Python's own choices."""
    encoding = os.environ.get("PYTHONIOENCODING", "").partition(":")[0] or (
        "utf-8" if sys.flags.utf8_mode else locale.getpreferredencoding(False)
    )
    c_locale = locale.setlocale(locale.LC_CTYPE) in ("C", "POSIX")
    errors = "surrogateescape" if c_locale or sys.flags.utf8_mode else "strict"
    unbuffered = bool(os.environ.get("PYTHONUNBUFFERED"))
    streams: list[io.TextIOWrapper] = []
    for fd, mode in ((0, "r"), (1, "w"), (2, "w")):
        tty = os.isatty(fd)
        raw = io.FileIO(fd, mode, closefd=False)
        buffered = io.BufferedReader(raw) if mode == "r" else io.BufferedWriter(raw)
        streams.append(
            io.TextIOWrapper(
                buffered,
                encoding=encoding,
                errors="backslashreplace" if fd == 2 else errors,
                line_buffering=fd == 2 or (fd == 1 and tty),
                write_through=unbuffered and fd > 0,
            )
        )
    _REPLACED.extend((sys.stdin, sys.stdout, sys.stderr, sys.__stdin__, sys.__stdout__))
    _REPLACED.append(sys.__stderr__)
    sys.stdin, sys.stdout, sys.stderr = streams
    sys.__stdin__, sys.__stdout__, sys.__stderr__ = streams  # type: ignore[misc]


def private_kib() -> int:
    """This process's own memory (pages it does not share with the agent), in KiB."""
    try:
        lines = Path("/proc/self/smaps_rollup").read_text(encoding="ascii").splitlines()
    except OSError:
        return 0
    total = 0
    for line in lines:
        if line.startswith(("Private_Clean:", "Private_Dirty:")):
            total += int(line.split()[1])
    return total


def run(request: Request, command: Command, report_fd: int) -> int:
    """The worker's body: become the client's process, run ``command``, report our private
    memory on ``report_fd`` (the agent reads it with the exit status)."""
    become(request)
    try:
        return command(sys.argv[1:])
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        with contextlib.suppress(OSError):
            os.write(report_fd, b"%d" % private_kib())
