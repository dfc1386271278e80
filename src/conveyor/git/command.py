"""Run ``git`` and fail with one error that shows the command and what git printed."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Mapping
from pathlib import Path

from conveyor.errors import ConveyorError

# Never prompt for credentials or an editor: conveyor runs unattended.
_QUIET_ENV = {
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_ASKPASS": "true",
    "SSH_ASKPASS": "true",
    "GIT_EDITOR": "true",
    "LC_ALL": "C",
}


class GitError(ConveyorError):
    """A git command failed (or git is not installed)."""

    def __init__(self, args: tuple[str, ...], cwd: Path | str, rc: int | None, output: str) -> None:
        command = "git " + " ".join(args)
        status = "could not start" if rc is None else f"exited with {rc}"
        detail = f":\n{output.rstrip()}" if output.strip() else ""
        super().__init__(f"`{command}` in {cwd} {status}{detail}")
        self.args_ = args
        self.cwd = Path(cwd)
        self.rc = rc
        self.output = output


def git(
    *args: str,
    cwd: Path | str,
    check: bool = True,
    env: Mapping[str, str] | None = None,
    timeout: float | None = 600,
    stdin: str | None = None,
) -> tuple[int, str, str]:
    """Run ``git *args`` in ``cwd`` (``stdin``: its input); returns ``(rc, stdout, stderr)``.

    With ``check`` (the default) a non-zero exit raises :class:`GitError`. A missing
    ``git`` executable always raises.
    """
    full_env = {**os.environ, **(env or {}), **_QUIET_ENV}
    try:
        proc = subprocess.run(
            ["git", *args],
            cwd=cwd,
            env=full_env,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            input=stdin,
            stdin=subprocess.DEVNULL if stdin is None else None,
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError as exc:
        raise GitError(args, cwd, None, f"{exc}; install git and make sure it is on PATH") from exc
    except subprocess.TimeoutExpired as exc:
        raise GitError(args, cwd, None, f"timed out after {timeout}s") from exc
    if check and proc.returncode != 0:
        raise GitError(args, cwd, proc.returncode, proc.stderr + proc.stdout)
    return proc.returncode, proc.stdout, proc.stderr


def git_out(*args: str, cwd: Path | str) -> str | None:
    """stdout of a git command, stripped; None when it fails (for optional facts)."""
    rc, out, _ = git(*args, cwd=cwd, check=False)
    return out.strip() if rc == 0 else None


_FULL_SHA = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?")
_COMMITS: set[str] = set()  # full shas this process has seen name a commit (they always will)


def remember_commit(sha: str) -> None:
    """Note that ``sha`` (a full object name git gave us) is a commit."""
    if _FULL_SHA.fullmatch(sha):
        _COMMITS.add(sha)


def resolve_commit(root: Path | str, *candidates: str) -> str | None:
    """The commit the first resolvable candidate (sha, ref, ``rev~1``...) points at, or None.

    One ``git cat-file --batch-check`` for all the candidates (names go in on stdin, so
    none is read as an option); a full sha already known to be a commit costs nothing."""
    if candidates and candidates[0] in _COMMITS:
        return candidates[0]
    names = [c for c in candidates if c and "\n" not in c]
    if not names:
        return None
    query = "".join(f"{name}^{{commit}}\n" for name in names)
    rc, out, _ = git("cat-file", "--batch-check=%(objectname)", cwd=root, check=False, stdin=query)
    if rc != 0:
        return None
    for line in out.splitlines():
        if _FULL_SHA.fullmatch(line):
            _COMMITS.add(line)
            return line
    return None
