"""Facts about the local repository a run starts from (``github.sha``, ``github.ref``...)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from conveyor.git.command import GitError, git, git_out, resolve_commit
from conveyor.git.identity import RepositoryIdentity, identity_of
from conveyor.git.remotes import repository_from_url

STATE_DIR_NAME = ".conveyor"


@dataclass(frozen=True, slots=True)
class RepoInfo:
    """What ``repo_info`` found. Outside a git repository only ``root``, ``repository``,
    ``actor`` and ``default_branch`` are set (``is_repo`` is False)."""

    root: Path
    is_repo: bool
    sha: str | None  # HEAD; None before the first commit
    ref: str | None  # refs/heads/<branch>, or refs/tags/<tag> when detached at a tag
    ref_name: str | None
    branch: str | None
    default_branch: str
    remote_url: str | None
    repository: str  # owner/name from origin, else the directory name
    actor: str
    dirty: bool
    identity: RepositoryIdentity  # the history database's key for this repository


def _actor(cwd: Path) -> str:
    name = git_out("config", "user.name", cwd=cwd) if cwd.is_dir() else None
    return name or os.environ.get("USER") or os.environ.get("LOGNAME") or "local"


def _default_branch(root: Path) -> str:
    head = git_out("symbolic-ref", "--quiet", "--short", "refs/remotes/origin/HEAD", cwd=root)
    if head:
        return head.removeprefix("origin/")
    return git_out("config", "init.defaultBranch", cwd=root) or "main"


def _remote_urls(root: Path) -> tuple[str | None, str | None]:
    """(origin's URL, the URL to show: origin's, else the first remote's)."""
    origin = git_out("remote", "get-url", "origin", cwd=root)
    if origin:
        return origin, origin
    remotes = (git_out("remote", cwd=root) or "").split()
    return None, git_out("remote", "get-url", remotes[0], cwd=root) if remotes else None


def _is_dirty(root: Path) -> bool:
    _, out, _ = git("status", "--porcelain", "-z", "--untracked-files=normal", cwd=root)
    for entry in out.split("\0"):
        path = entry[3:]
        if entry and not (path == STATE_DIR_NAME or path.startswith(STATE_DIR_NAME + "/")):
            return True
    return False


def _not_a_repo(path: Path) -> RepoInfo:
    return RepoInfo(
        root=path,
        is_repo=False,
        sha=None,
        ref=None,
        ref_name=None,
        branch=None,
        default_branch="main",
        remote_url=None,
        repository=path.name,
        actor=_actor(path),
        dirty=False,
        identity=identity_of(path, None),
    )


def repo_info(path: Path | str) -> RepoInfo:
    """Inspect the repository containing ``path``; never fails for a plain directory."""
    start = Path(path).resolve()
    try:
        top = git_out("rev-parse", "--show-toplevel", cwd=start) if start.is_dir() else None
    except GitError:  # git itself is missing
        return _not_a_repo(start)
    if not top:
        return _not_a_repo(start)
    root = Path(top)
    sha = resolve_commit(root, "HEAD")
    branch = git_out("symbolic-ref", "--quiet", "--short", "HEAD", cwd=root)
    ref: str | None = None
    ref_name: str | None = None
    if branch:
        ref, ref_name = f"refs/heads/{branch}", branch
    elif sha:
        tags = (git_out("tag", "--points-at", "HEAD", "--sort=refname", cwd=root) or "").split()
        if tags:
            ref, ref_name = f"refs/tags/{tags[0]}", tags[0]
    origin_url, remote_url = _remote_urls(root)
    repository = (repository_from_url(remote_url) if remote_url else None) or root.name
    return RepoInfo(
        root=root,
        is_repo=True,
        sha=sha or None,
        ref=ref,
        ref_name=ref_name,
        branch=branch or None,
        default_branch=_default_branch(root),
        remote_url=remote_url,
        repository=repository,
        actor=_actor(root),
        dirty=_is_dirty(root),
        identity=identity_of(root, origin_url),
    )
