"""Finding and stopping the conveyor agents a test (or a whole session) started."""

from __future__ import annotations

import os
import signal


def stop_agents(runtime_dir: str) -> None:
    """SIGTERM every process whose command line names an agent and whose environment
    points at ``runtime_dir`` (the agents some test may have started there)."""
    marker = f"XDG_RUNTIME_DIR={runtime_dir}".encode()
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == os.getpid():
            continue
        try:
            with open(f"/proc/{name}/cmdline", "rb") as fh:
                if b"conveyor.cli.agent_cmd" not in fh.read():
                    continue
            with open(f"/proc/{name}/environ", "rb") as fh:
                if marker not in fh.read().split(b"\0"):
                    continue
            os.kill(int(name), signal.SIGTERM)
        except OSError:
            pass
