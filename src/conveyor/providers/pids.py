"""Starting the process provider's detached processes, and facts about them.

Each is started in a session of its own (so it outlives the conveyor process that
started it and is stopped as a group), with conveyor's environment less conveyor's own
variables (secrets, the job token), and :data:`~conveyor.providers.routing.MARKER_ENV`
naming its app/environment directory, so a sweep finds whatever is left. A process is
known by its pid *and* its start time (``identity``), so a reused pid is never signalled.
The router imports this module: it imports nothing heavy.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from conveyor.providers.routing import MARKER_ENV

POLL_SECONDS = 0.01
_PROC = Path("/proc")
_children: dict[int, subprocess.Popen[bytes]] = {}  # started by this process, not reaped


def child_env(marker: Path, extra: Mapping[str, str] = {}) -> dict[str, str]:
    """The environment of a detached process: ours less ``CONVEYOR_*``, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONVEYOR_")}
    env.update(extra)
    env[MARKER_ENV] = str(marker)
    return env


def spawn(argv: Sequence[str], *, cwd: Path, env: Mapping[str, str], log: Path) -> int:
    """Start ``argv`` detached, its output appended to ``log``; returns its pid."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as output:
        proc = subprocess.Popen(
            list(argv),
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
        )
    _children[proc.pid] = proc  # not waited for: it outlives us; ``reap`` collects it
    return proc.pid


def reap(pid: int) -> int | None:
    """Collect ``pid`` if it is our child and has ended; its exit code (or None)."""
    child = _children.get(pid)
    if child is not None:
        code = child.poll()
        if code is not None:
            del _children[pid]
        return code
    try:
        done, status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return None
    if done == 0:
        return None
    return os.waitstatus_to_exitcode(status)


def identity(pid: int) -> str | None:
    """A token for the process ``pid`` (its start time), or None when it is not running
    (a zombie counts as ended). Without ``/proc``: ``""`` while the pid exists."""
    if pid <= 0:
        return None
    if not _PROC.is_dir():
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            return ""
        return ""
    try:
        fields = (_PROC / str(pid) / "stat").read_bytes().rsplit(b")", 1)[1].split()
    except OSError:
        return None
    if fields[0] in b"ZX":
        reap(pid)
        return None
    return fields[19].decode()  # starttime, field 22 of stat


def running(pid: int, known: str) -> bool:
    """Whether the process recorded as (``pid``, ``known`` identity) still runs."""
    found = identity(pid)
    return found is not None and (found == known or not known or not found)


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def accepts(host: str, port: int) -> bool:
    """Whether something accepts TCP connections on ``host:port``."""
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
        return True
    return False


def tail(log: Path, lines: int = 15) -> str:
    """The last ``lines`` lines of ``log`` ("" when there is none)."""
    try:
        with log.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - 8192))
            text = handle.read().decode("utf-8", "replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])
