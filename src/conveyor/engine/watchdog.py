"""Orphan guard: a tiny helper process that kills step processes if conveyor dies.

Steps run in their own process groups, so a ``kill -9`` of conveyor would leave them
running. Conveyor puts ``CONVEYOR_GUARD=<token>`` in its own environment, which every
step process (and everything it starts) inherits. The guard waits for EOF on a pipe from
conveyor (however conveyor died) and then SIGKILLs every process whose environment
carries the token, together with its process group. At a clean exit conveyor closes the
pipe too (the guard then sweeps what escaped its process groups, e.g. ``setsid`` daemons)
but does not wait for that sweep (a pass over ``/proc``, 15-25 ms): the guard finishes it
on its own and is reaped by the next guard's start, or by init.
"""

from __future__ import annotations

import os
import select
import subprocess
import sys
import uuid
from typing import Any

GUARD_ENV = "CONVEYOR_GUARD"

_GUARD = r"""
import os, signal, sys
marker = ('%s=' % sys.argv[1]).encode() + sys.argv[2].encode()
signal.signal(signal.SIGINT, signal.SIG_IGN)
signal.signal(signal.SIGTERM, signal.SIG_IGN)
while os.read(0, 4096):
    pass
for _ in range(3):
    for name in os.listdir('/proc'):
        if not name.isdigit() or int(name) == os.getpid():
            continue
        try:
            with open('/proc/%s/environ' % name, 'rb') as fh:
                if marker not in fh.read().split(b'\0'):
                    continue
            os.killpg(os.getpgid(int(name)), signal.SIGKILL)
        except OSError:
            pass
        try:
            os.kill(int(name), signal.SIGKILL)
        except OSError:
            pass
"""


class OrphanGuard:
    """:meth:`start` before running steps, :meth:`stop` at a clean exit."""

    def __init__(self) -> None:
        self._proc: subprocess.Popen[bytes] | None = None
        self._previous: str | None = None
        self.token = uuid.uuid4().hex

    def start(self) -> None:
        _reap()
        if not os.path.isdir("/proc"):  # noqa: PTH112 - Linux only
            return
        self._previous = os.environ.get(GUARD_ENV)
        os.environ[GUARD_ENV] = self.token
        env = {k: v for k, v in os.environ.items() if k != GUARD_ENV}
        self._proc = subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", _GUARD, GUARD_ENV, self.token],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            env=env,
        )

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if self._previous is None:
            os.environ.pop(GUARD_ENV, None)
        else:
            os.environ[GUARD_ENV] = self._previous
        assert proc.stdin is not None
        proc.stdin.close()
        _SWEEPING.append(proc)


_SWEEPING: list[subprocess.Popen[bytes]] = []  # guards finishing their last sweep


def _reap() -> None:
    _SWEEPING[:] = [proc for proc in _SWEEPING if proc.poll() is None]


def exited_within(proc: subprocess.Popen[Any], seconds: float) -> bool:
    """Wait up to ``seconds`` for ``proc`` to exit, woken by its exit (a pidfd) rather than
    by ``Popen.wait``'s polling, which notices a quick exit only at its next poll."""
    if proc.poll() is not None:
        return True
    try:
        pidfd = os.pidfd_open(proc.pid)
    except (AttributeError, OSError):  # not Linux, or gone already
        try:
            proc.wait(seconds)
        except subprocess.TimeoutExpired:
            return False
        return True
    try:
        select.select([pidfd], [], [], seconds)
    finally:
        os.close(pidfd)
    return proc.poll() is not None
