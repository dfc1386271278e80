"""What event payloads need from the local repository: the facts are read from git here,
the payloads are built by the one builder, :mod:`conveyor.planner.payloads`.

Every sha is a real local commit.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conveyor.git import RepoInfo, git, git_out
from conveyor.planner.payloads import ZERO_SHA, PayloadRepo, push_payload
from conveyor.triggers.changed_files import is_zero

MAX_PAYLOAD_COMMITS = 20  # GitHub lists at most 20 commits in a push payload
_RS, _US = "\x1e", "\x1f"


def payload_repo(info: RepoInfo) -> PayloadRepo:
    """The repository facts of a payload, from ``repo_info``."""
    return PayloadRepo(info.repository, info.default_branch, info.actor)


def _person(name: str, email: str) -> dict[str, str]:
    return {"name": name, "email": email, "username": name}


def commits_between(root: Path | str, before: str | None, after: str) -> list[dict[str, Any]]:
    """The pushed commits, oldest first (at most 20), with added/removed/modified files."""
    if is_zero(after):
        return []
    spec = after if is_zero(before) else f"{before}..{after}"
    fmt = _RS + _US.join(["%H", "%T", "%an", "%ae", "%cn", "%ce", "%cI", "%B"]) + _US
    rc, out, _ = git(
        "log",
        "--reverse",
        "--no-renames",
        "--name-status",
        f"--format={fmt}",
        f"-n{MAX_PAYLOAD_COMMITS}" if is_zero(before) else "--max-count=-1",
        spec,
        "--",
        cwd=root,
        check=False,
    )
    if rc != 0:
        return []
    commits: list[dict[str, Any]] = []
    for record in out.split(_RS)[1:]:
        fields = record.split(_US)
        sha, tree, an, ae, cn, ce, stamp, message = fields[:8]
        changes = {"added": [], "removed": [], "modified": []}  # type: dict[str, list[str]]
        for line in fields[8].splitlines() if len(fields) > 8 else []:
            status, _, name = line.partition("\t")
            key = {"A": "added", "D": "removed"}.get(status[:1], "modified")
            if name:
                changes[key].append(name)
        commits.append(
            {
                "id": sha,
                "tree_id": tree,
                "distinct": True,
                "message": message.strip(),
                "timestamp": stamp,
                "author": _person(an, ae),
                "committer": _person(cn, ce),
                **changes,
            }
        )
    return commits[-MAX_PAYLOAD_COMMITS:]


def push_payload_from_git(
    info: RepoInfo,
    *,
    ref: str,
    before: str | None,
    after: str,
    base_ref: str | None = None,
    forced: bool | None = None,
) -> dict[str, Any]:
    """A ``push`` payload (branch or tag) with the pushed commits read from git; ``forced``
    None: whether ``before`` is not an ancestor of ``after``, asked of git."""
    root = info.root
    before_sha = before or ZERO_SHA
    commits = [] if ref.startswith("refs/tags/") else commits_between(root, before, after)
    if forced is None:
        forced = False
        if not is_zero(before_sha) and not is_zero(after):
            rc, _, _ = git("merge-base", "--is-ancestor", before_sha, after, cwd=root, check=False)
            forced = rc == 1
    head = commits[-1] if commits else _commit_facts(root, after)
    return push_payload(
        payload_repo(info),
        ref=ref,
        before=before_sha,
        after=after,
        commits=commits,
        head_commit=head,
        forced=forced,
        base_ref=base_ref,
    )


def _commit_facts(root: Path | str, sha: str) -> dict[str, Any] | None:
    if is_zero(sha):
        return None
    line = git_out("log", "-1", f"--format=%H{_US}%T{_US}%an{_US}%ae{_US}%cI{_US}%s", sha, cwd=root)
    if not line:
        return None
    sha_, tree, name, email, stamp, subject = (line.split(_US) + [""] * 6)[:6]
    person = _person(name, email)
    return {
        "id": sha_,
        "tree_id": tree,
        "distinct": True,
        "message": subject,
        "timestamp": stamp,
        "author": person,
        "committer": person,
        "added": [],
        "removed": [],
        "modified": [],
    }
