"""Linked worktrees (``git worktree add``) that conveyor made for jobs, and releasing them.

A linked worktree has a ``.git`` *file* (``gitdir: <repo>/.git/worktrees/<name>``) and an
entry in its main repository. Releasing one removes that file and prunes the entry, so
``git worktree list`` in the user's repository forgets it; the checked-out files stay
until ``conveyor gc`` removes the workspace.
"""

from __future__ import annotations

from pathlib import Path

from conveyor.git.command import git

_PREFIX = "gitdir:"


def common_git_dir(checkout: Path) -> Path | None:
    """The main repository's git directory of the linked worktree at ``checkout``, or None
    when ``checkout`` is not one."""
    marker = checkout / ".git"
    try:
        if not marker.is_file() or marker.is_symlink():
            return None
        text = marker.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return None
    if not text.startswith(_PREFIX):
        return None
    admin = Path(text[len(_PREFIX) :].strip())
    if not admin.is_absolute():
        admin = checkout / admin
    if admin.parent.name != "worktrees":
        return None
    return admin.parent.parent


def linked_worktrees(directory: Path) -> list[Path]:
    """The linked worktrees at or under ``directory``."""
    if not directory.is_dir():
        return []
    found = [m.parent for m in directory.rglob(".git") if common_git_dir(m.parent) is not None]
    if common_git_dir(directory) is not None:
        found.insert(0, directory)
    return found


def prune(common: Path) -> None:
    """``git worktree prune`` in the repository whose git directory is ``common``."""
    if common.is_dir():
        git("--git-dir", str(common), "worktree", "prune", cwd=common, check=False)


def release_worktree(checkout: Path) -> bool:
    """Unregister the linked worktree at ``checkout`` from its repository, keeping its
    files; False when it is not one."""
    common = common_git_dir(checkout)
    if common is None:
        return False
    (checkout / ".git").unlink(missing_ok=True)
    prune(common)
    return True
