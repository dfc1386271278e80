"""Where the agent listens: a UNIX socket private to the user, named by the installed
conveyor's *key*, so that an upgraded (or edited) install never talks to an old agent.

Light on purpose (standard library only, nothing imported at module level beyond ``os``):
the console script computes the address before deciding whether to import anything else.
"""

from __future__ import annotations

import contextlib
import os
import sys
import zlib

import conveyor

NO_AGENT_ENV = "CONVEYOR_NO_AGENT"  # "1": every command runs in its own process
IDLE_ENV = "CONVEYOR_AGENT_IDLE"  # seconds without a command before the agent exits
DEFAULT_IDLE_S = 15 * 60.0


def disabled(environ: os._Environ[str] | dict[str, str] = os.environ) -> bool:
    return environ.get(NO_AGENT_ENV, "") not in ("", "0")


def runtime_dir() -> str:
    """``$XDG_RUNTIME_DIR/conveyor`` when that is the user's own, else a 0700 directory
    ``/tmp/conveyor-<uid>`` (refused if someone else owns it or others may enter it)."""
    uid = os.getuid()
    base = os.environ.get("XDG_RUNTIME_DIR", "")
    if base and _owned_private(base, uid):
        path = os.path.join(base, "conveyor")
    else:
        path = os.path.join("/tmp", f"conveyor-{uid}")
    with contextlib.suppress(FileExistsError):
        os.mkdir(path, 0o700)
    if not _owned_private(path, uid):
        raise PermissionError(f"{path} is not a directory private to uid {uid}")
    return path


def _owned_private(path: str, uid: int) -> bool:
    try:
        st = os.lstat(path)
    except OSError:
        return False
    return st.st_uid == uid and (st.st_mode & 0o170077) == 0o040000  # a dir, no group/other


def install_key() -> str:
    """A digest of this conveyor: its version, where it is installed, the Python running it,
    and the newest modification time of its modules (any edit or upgrade changes it)."""
    root = os.path.dirname(conveyor.__file__)
    newest = 0
    stack = [root]
    while stack:
        with os.scandir(stack.pop()) as entries:
            for entry in entries:
                if entry.name.endswith(".py"):
                    newest = max(newest, entry.stat().st_mtime_ns)
                elif entry.name != "__pycache__" and entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
    where = zlib.crc32(f"{root}\0{sys.executable}\0{sys.version}".encode(errors="replace"))
    return f"{conveyor.__version__}-{newest:x}-{where:08x}"


def socket_path(directory: str, key: str) -> str:
    return os.path.join(directory, f"agent-{key}.sock")


def lock_path(directory: str, key: str) -> str:
    return os.path.join(directory, f"agent-{key}.lock")


def log_path(directory: str, key: str) -> str:
    return os.path.join(directory, f"agent-{key}.log")
