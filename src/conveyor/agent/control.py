"""Asking the running agent (of this install) for its status, or to stop."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

from conveyor.agent import address, wire


def ask(kind: bytes) -> dict[str, Any] | None:
    """The agent's status after ``kind`` (``wire.STATUS`` or ``wire.STOP``); None if no
    agent of this install is running."""
    return ask_at(address.socket_path(address.runtime_dir(), address.install_key()), kind)


def ask_at(path: str, kind: bytes) -> dict[str, Any] | None:
    """The same, of the agent listening at ``path``."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.settimeout(10)
        try:
            conn.connect(path)
        except OSError:
            return None
        conn.sendall(wire.encode(wire.Request(kind)))
        answer = b""
        while not answer.endswith(b"\n"):
            chunk = conn.recv(1 << 16)
            if not chunk:
                return None
            answer += chunk
    if not answer.startswith(b"J"):
        return None
    found: dict[str, Any] = json.loads(answer[1:])
    return found


def retire_older(directory: str, key: str) -> list[int]:
    """Stop the agents of this same install (path and Python) whose key is not ``key``:
    they imported code that has since been edited or upgraded. Agents of other installs
    are left alone. Returns the pids asked to stop."""
    where = key.rsplit("-", 1)[-1]
    own = Path(address.socket_path(directory, key))
    stopped: list[int] = []
    for path in sorted(Path(directory).glob(f"agent-*-{where}.sock")):
        if path == own:
            continue
        found = ask_at(str(path), wire.STOP)
        if found is not None:
            stopped.append(int(found["pid"]))
    return stopped
