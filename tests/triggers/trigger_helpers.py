"""Helpers for the trigger tests: temp git repos and running ``conveyor``."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from conveyor.agent.address import NO_AGENT_ENV as NO_AGENT
from git_repo_helpers import GitRun as Git

CONVEYOR = str(Path(sys.executable).parent / "conveyor")


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")


def commit(git: Git, root: Path, files: dict[str, str], message: str = "change") -> str:
    write(root, files)
    git("add", "-A", cwd=root)
    git("commit", "-qm", message, cwd=root)
    return git("rev-parse", "HEAD", cwd=root)


def conveyor(root: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONVEYOR_") or k == NO_AGENT}
    env["CI"] = "true"
    return subprocess.run(
        [CONVEYOR, *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
