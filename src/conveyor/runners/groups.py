"""The process groups conveyor started, so they can all be killed on Ctrl-C or SIGTERM.

Every step runs in its own session (hence its own process group, whose id is the
step's pid). A group stays registered while the step runs, and afterwards while
background processes it left behind (with their output redirected) are still
alive; GitHub keeps those until the end of the job, conveyor until
:func:`kill_all_process_groups` (which the CLI calls when a run ends or is
interrupted).
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from pathlib import Path


class _Registry:
    def __init__(self) -> None:
        # re-entrant: kill_all_process_groups may run in a signal handler on a thread
        # that is inside register()
        self.lock = threading.RLock()
        self.groups: dict[int, str] = {}  # process group id -> owner (the step name)
        self.kills = 0  # how many times kill_all_process_groups ran (see ``generation``)


_registry = _Registry()

POLL_SECONDS = 0.02
_PROC = Path("/proc")


def group_alive(pgid: int) -> bool:
    """True while any process (zombies included) is in the group."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, though not ours to signal
        return True
    return True


def group_running(pgid: int) -> bool:
    """True while a process of the group is still running (not merely a zombie).

    Orphaned children are reparented to PID 1, which in containers may reap them
    late or never; their zombies keep the group "alive" but need no more signals.
    Uses ``/proc`` where there is one, otherwise :func:`group_alive`.
    """
    if not group_alive(pgid):
        return False
    if not _PROC.is_dir():
        return True
    for entry in os.scandir(_PROC):
        if not entry.name.isdigit():
            continue
        try:
            fields = Path(entry.path, "stat").read_bytes().rsplit(b")", 1)[1].split()
        except OSError:  # exited meanwhile
            continue
        # after the command: state, ppid, pgrp, ...
        if len(fields) > 2 and fields[2] == str(pgid).encode() and fields[0] not in b"ZX":
            return True
    return False


def signal_group(pgid: int, signum: int) -> bool:
    """Send ``signum`` to the group; False when the group is already gone."""
    try:
        os.killpg(pgid, signum)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def generation() -> int:
    """Read before starting a process and pass to :func:`register`."""
    with _registry.lock:
        return _registry.kills


def register(pgid: int, owner: str, since: int) -> bool:
    """Record a new group; False when :func:`kill_all_process_groups` ran since
    ``since`` (a :func:`generation`), i.e. while the process was being started, in
    which case the caller must stop it itself."""
    with _registry.lock:
        groups = _registry.groups
        for g in [g for g in groups if not group_alive(g)]:
            del groups[g]
        groups[pgid] = owner
        return _registry.kills == since


def unregister(pgid: int) -> None:
    with _registry.lock:
        _registry.groups.pop(pgid, None)


def live_process_groups() -> dict[int, str]:
    """The registered groups that still have processes: ``{pgid: step name}``."""
    with _registry.lock:
        registered = dict(_registry.groups)
    return {g: owner for g, owner in registered.items() if group_running(g)}


def kill_all_process_groups(grace_seconds: float = 0.5) -> int:
    """SIGTERM every registered group, wait up to ``grace_seconds``, then SIGKILL the rest.

    Safe to call from a signal handler, from any thread, at exit, and more than once;
    a step being started meanwhile is stopped as soon as it has started.
    Returns how many groups were signalled.
    """
    with _registry.lock:
        _registry.kills += 1
        groups = list(_registry.groups)
        _registry.groups.clear()
    signalled = [g for g in groups if signal_group(g, signal.SIGTERM)]
    deadline = time.monotonic() + max(grace_seconds, 0.0)
    remaining = signalled
    while remaining and time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
        remaining = [g for g in remaining if group_running(g)]
    for g in remaining:
        signal_group(g, signal.SIGKILL)
    return len(signalled)


def kill_marked(variable: str, token: str) -> int:
    """SIGKILL every process (and its group) whose environment holds ``variable=token``.

    For processes left by a child that died without cleaning up (its steps run in process
    groups of their own, so they outlive it). Returns how many processes were found.
    """
    if not _PROC.is_dir():
        return 0
    marker = f"{variable}={token}".encode()
    found = 0
    for entry in os.scandir(_PROC):
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if marker not in Path(entry.path, "environ").read_bytes().split(b"\0"):
                continue
            found += 1
            os.killpg(os.getpgid(int(entry.name)), signal.SIGKILL)
        except OSError:
            pass
        with contextlib.suppress(OSError):
            os.kill(int(entry.name), signal.SIGKILL)
    return found
