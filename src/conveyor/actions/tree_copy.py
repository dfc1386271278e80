"""Copy a repository's working tree (with uncommitted changes) and give it a ``.git``.

Used by ``actions/checkout`` in its default ``copy`` mode: the workspace gets every
tracked and untracked-but-not-ignored file as it is on disk right now, plus a
``git clone --shared`` of the repository so ``git`` works inside the workspace.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

from conveyor.git import git, git_out
from conveyor.git.repo import STATE_DIR_NAME


def empty_dir(path: Path) -> None:
    """Remove everything inside ``path`` (created if missing)."""
    path.mkdir(parents=True, exist_ok=True)
    for child in path.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()


def _skipped(rel: str, excluded: Iterable[str]) -> bool:
    return any(rel == prefix or rel.startswith(prefix + "/") for prefix in excluded)


def _excluded_prefixes(root: Path, dest: Path) -> list[str]:
    """Paths (relative to ``root``) never copied: the state dir and the destination."""
    prefixes = [STATE_DIR_NAME]
    if root in dest.parents:
        prefixes.append(dest.relative_to(root).as_posix())
    return prefixes


def _copy_entry(src: Path, target: Path) -> bool:
    if src.is_symlink() or src.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.is_symlink() or target.is_file():
            target.unlink()
        shutil.copy2(src, target, follow_symlinks=False)
        return True
    if src.is_dir():  # a submodule (gitlink): copy its files, not its .git pointer
        shutil.copytree(
            src, target, symlinks=True, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".git")
        )
        return True
    return False  # tracked but deleted in the working tree


def copy_working_tree(root: Path, dest: Path) -> int:
    """Copy tracked and untracked-not-ignored files of ``root`` into ``dest``; returns count."""
    _, out, _ = git("ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=root)
    excluded = _excluded_prefixes(root, dest)
    count = 0
    for rel in sorted(set(out.split("\0"))):
        if rel and not _skipped(rel, excluded) and _copy_entry(root / rel, dest / rel):
            count += 1
    return count


def copy_plain_tree(root: Path, dest: Path) -> int:
    """Copy a directory that is not a git repository (skipping the state dir)."""
    excluded = _excluded_prefixes(root, dest)
    count = 0
    for current, dirs, files in os.walk(root):
        rel_dir = Path(current).relative_to(root)
        dirs[:] = [d for d in dirs if not _skipped((rel_dir / d).as_posix(), excluded)]
        for name in files:
            rel = (rel_dir / name).as_posix()
            if _copy_entry(root / rel, dest / rel):
                count += 1
    return count


def attach_git_dir(root: Path, dest: Path, scratch: Path, remote_url: str | None) -> None:
    """Give ``dest`` a ``.git`` that shares ``root``'s objects (``git clone --shared``),
    at the same HEAD, with the index matching HEAD so ``git status`` shows local edits."""
    scratch.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="checkout.", dir=scratch))
    try:
        clone = tmp / "repo"
        git("clone", "--quiet", "--shared", "--no-checkout", "--", str(root), str(clone), cwd=tmp)
        if remote_url:
            git("remote", "set-url", "origin", remote_url, cwd=clone)
        target = dest / ".git"
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        elif target.exists() or target.is_symlink():
            target.unlink()
        shutil.move(str(clone / ".git"), str(target))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if git_out("rev-parse", "--verify", "--quiet", "HEAD", cwd=dest):
        git("reset", "--quiet", cwd=dest)


def checkout_commit(dest: Path, sha: str, branch: str | None) -> None:
    """Force-check out ``sha`` in ``dest`` (on ``branch`` when given, else detached)."""
    if branch:
        git("checkout", "--quiet", "--force", "-B", branch, sha, cwd=dest)
    else:
        git("checkout", "--quiet", "--force", "--detach", sha, cwd=dest)
