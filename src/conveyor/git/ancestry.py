"""Whether a commit is on a branch (the seeds' "a production tag must be on main")."""

from __future__ import annotations

from pathlib import Path

from conveyor.git.command import git, resolve_commit


def commit_on_branch(root: Path | str, sha: str, branch: str) -> bool:
    """True when ``sha`` is reachable from ``branch`` (local, else ``origin/<branch>``)."""
    tip = resolve_commit(root, f"refs/heads/{branch}", f"refs/remotes/origin/{branch}")
    if tip is None:
        return False
    rc, _, _ = git("merge-base", "--is-ancestor", sha, tip, cwd=root, check=False)
    return rc == 0


def identity_of_user(root: Path | str) -> str:
    """Who is at the keyboard, per git: ``user.name``, else ``user.email``, else ""."""
    for key in ("user.name", "user.email"):
        rc, out, _ = git("config", key, cwd=root, check=False)
        if rc == 0 and out.strip():
            return out.strip()
    return ""
