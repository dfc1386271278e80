"""Asking the running agent (of this install) for its status, or to stop."""

from __future__ import annotations

import json
import socket
from typing import Any

from conveyor.agent import address, wire


def ask(kind: bytes) -> dict[str, Any] | None:
    """The agent's status after ``kind`` (``wire.STATUS`` or ``wire.STOP``); None if no
    agent of this install is running."""
    path = address.socket_path(address.runtime_dir(), address.install_key())
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
