"""Facts about the local repository a run starts from (``github.sha``, ``github.ref``...)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from conveyor.git.command import GitError, git, git_out, remember_commit
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


def _config(root: Path) -> dict[str, list[str]]:
    """Every setting that applies in ``root`` (``git config --list``, one process); keys
    as git prints them (section and name lower-case), values in the order git reads them."""
    rc, out, _ = git("config", "-z", "--list", cwd=root, check=False)
    found: dict[str, list[str]] = {}
    if rc == 0:
        for entry in out.split("\0"):
            if entry:
                key, _, value = entry.partition("\n")
                found.setdefault(key, []).append(value)
    return found


def _last(config: dict[str, list[str]], key: str) -> str | None:
    values = config.get(key)
    return values[-1] if values else None


def _default_branch(root: Path, common_dir: Path, config: dict[str, list[str]]) -> str:
    """origin's HEAD (a symbolic ref, never packed: read from its file), else
    ``init.defaultBranch``, else ``main``."""
    if _last(config, "extensions.refstorage") not in (None, "files"):
        head = git_out("symbolic-ref", "--quiet", "--short", "refs/remotes/origin/HEAD", cwd=root)
    else:
        try:
            text = (common_dir / "refs" / "remotes" / "origin" / "HEAD").read_text("utf-8")
        except (OSError, UnicodeDecodeError):
            text = ""
        head = text.strip().removeprefix("ref: refs/remotes/") if text.startswith("ref: ") else ""
    if head:
        return head.removeprefix("origin/")
    return _last(config, "init.defaultbranch") or "main"


def _remote_urls(root: Path, config: dict[str, list[str]]) -> tuple[str | None, str | None]:
    """(origin's URL, the URL to show: origin's, else the first remote's), as ``git remote
    get-url`` gives them (which is asked only when ``url.*.insteadOf`` rewrites URLs)."""
    names = sorted(
        key.removeprefix("remote.").removesuffix(".url")
        for key in config
        if key.startswith("remote.") and key.endswith(".url")
    )
    rewrites = any(key.endswith("insteadof") for key in config)

    def url(name: str) -> str | None:
        if rewrites:
            return git_out("remote", "get-url", name, cwd=root)
        return config[f"remote.{name}.url"][0]  # get-url: the first of several

    origin = url("origin") if "origin" in names else None
    if origin:
        return origin, origin
    return None, url(names[0]) if names else None


def _status(root: Path) -> tuple[str | None, str | None, bool]:
    """(HEAD's commit, the branch checked out, whether the work tree has changes outside
    the state directory), from one ``git status``."""
    _, out, _ = git(
        "status", "--porcelain=v2", "--branch", "--no-ahead-behind", "-z",
        "--untracked-files=normal", cwd=root,
    )  # fmt: skip
    sha: str | None = None
    branch: str | None = None
    dirty = False
    records = iter(out.split("\0"))
    for record in records:
        if record.startswith("# branch.oid "):
            oid = record.removeprefix("# branch.oid ")
            sha = None if oid == "(initial)" else oid
        elif record.startswith("# branch.head "):
            head = record.removeprefix("# branch.head ")
            branch = None if head == "(detached)" else head
        elif record and not record.startswith("#"):
            fields = {"1": 8, "2": 9, "u": 10}.get(record[0], 1)
            path = record.split(" ", fields)[-1]
            if record[0] == "2":
                next(records, None)  # the path it was renamed from
            if not (path == STATE_DIR_NAME or path.startswith(STATE_DIR_NAME + "/")):
                dirty = True
    if sha:
        remember_commit(sha)
    return sha, branch, dirty


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
    """Inspect the repository containing ``path``; never fails for a plain directory.

    Three git processes: where the repository is, its settings, and its status."""
    start = Path(path).resolve()
    try:
        found = (
            git_out("rev-parse", "--show-toplevel", "--git-common-dir", cwd=start)
            if start.is_dir()
            else None
        )
    except GitError:  # git itself is missing
        return _not_a_repo(start)
    top, _, common = (found or "").partition("\n")
    if not top:
        return _not_a_repo(start)
    root = Path(top)
    common_dir = start / common.strip()
    config = _config(root)
    sha, branch, dirty = _status(root)
    ref: str | None = None
    ref_name: str | None = None
    if branch:
        ref, ref_name = f"refs/heads/{branch}", branch
    elif sha:
        tags = (git_out("tag", "--points-at", "HEAD", "--sort=refname", cwd=root) or "").split()
        if tags:
            ref, ref_name = f"refs/tags/{tags[0]}", tags[0]
    origin_url, remote_url = _remote_urls(root, config)
    repository = (repository_from_url(remote_url) if remote_url else None) or root.name
    actor = _last(config, "user.name") or os.environ.get("USER") or os.environ.get("LOGNAME")
    return RepoInfo(
        root=root,
        is_repo=True,
        sha=sha,
        ref=ref,
        ref_name=ref_name,
        branch=branch,
        default_branch=_default_branch(root, common_dir, config),
        remote_url=remote_url,
        repository=repository,
        actor=actor or "local",
        dirty=dirty,
        identity=identity_of(root, origin_url),
    )
