"""Which files changed between two commits, or in one commit (for path filters of triggers)."""

from __future__ import annotations

from pathlib import Path

from conveyor.git.command import git


def _sorted_names(out: str) -> list[str]:
    return sorted({name for name in out.split("\0") if name})


def _names(root: Path | str, spec: str) -> list[str]:
    _, out, _ = git("diff", "--name-only", "--no-renames", "-z", spec, "--", cwd=root)
    return _sorted_names(out)


def changed_files(root: Path | str, base: str, head: str) -> list[str]:
    """Paths that differ between ``base`` and ``head`` (``git diff base..head``), sorted."""
    return _names(root, f"{base}..{head}")


def changed_files_merge_base(root: Path | str, base: str, head: str) -> list[str]:
    """Paths changed on ``head`` since it forked from ``base`` (``git diff base...head``)."""
    return _names(root, f"{base}...{head}")


def commit_files(root: Path | str, sha: str) -> list[str]:
    """Paths one commit touched (every file of a root commit), sorted."""
    _, out, _ = git(
        "diff-tree", "--no-commit-id", "--name-only", "--no-renames", "-r", "-z", "--root", sha,
        cwd=root,
    )  # fmt: skip
    return _sorted_names(out)
