"""Which files an event changed, from git, the way GitHub computes it for path filters.

* push: ``before..after`` (two-dot). A new branch (``before`` all zeros) is compared
  with the default branch through their merge base; a new default branch (or one with
  no common history) lists the files of its head commit. A deleted ref changes nothing.
* pull request: ``base...head`` (three-dot: since the merge base).
* tag push: None (path filters are not evaluated for tags).

Only the first 300 files count for filters; :mod:`conveyor.filters` applies that limit.
"""

from __future__ import annotations

from pathlib import Path

from conveyor.git import (
    changed_files,
    changed_files_merge_base,
    commit_files,
    git_out,
    resolve_commit,
)


def is_zero(sha: str | None) -> bool:
    return not sha or set(sha) == {"0"}


def resolve(root: Path | str, name: str) -> str | None:
    """The commit ``name`` points at: a sha, a branch (local, else ``origin/``), a tag."""
    return resolve_commit(root, name, f"refs/heads/{name}", f"refs/remotes/origin/{name}")


def push_changed_files(
    root: Path | str, *, before: str | None, after: str, default_branch: str
) -> list[str]:
    """Files changed by a push of ``after`` over ``before``."""
    if is_zero(after):
        return []
    if not is_zero(before) and resolve(root, str(before)):
        return changed_files(root, str(before), after)
    base = resolve(root, default_branch)
    if base and base != after:
        merge_base = git_out("merge-base", base, after, cwd=root)
        if merge_base and merge_base != after:  # base...after, reusing the merge base
            return changed_files(root, merge_base, after)
    return commit_files(root, after)


def pull_request_changed_files(root: Path | str, *, base: str, head: str) -> list[str]:
    """Files changed on ``head`` since it forked from ``base`` (three-dot diff)."""
    return changed_files_merge_base(root, base, head)
