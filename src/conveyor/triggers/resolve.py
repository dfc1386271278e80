"""Turn ``conveyor trigger`` arguments into an event: name, payload, ref, sha, changed files.

Defaults come from the local repository: the current branch and HEAD, ``HEAD~1`` as
``before``, the default branch as a pull request's base.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from conveyor.errors import UsageError
from conveyor.git import RepoInfo, resolve_commit
from conveyor.triggers.changed_files import (
    ZERO_SHA,
    is_zero,
    pull_request_changed_files,
    push_changed_files,
    resolve,
)
from conveyor.triggers.payloads import pull_request_payload, push_payload


@dataclass(frozen=True, slots=True)
class TriggerEvent:
    name: str
    payload: dict[str, Any]
    ref: str  # GITHUB_REF
    sha: str  # GITHUB_SHA
    changed_files: list[str] | None  # None: not used by the event's filters


def _commit(info: RepoInfo, name: str, what: str) -> str:
    sha = resolve(info.root, name)
    if sha is None:
        raise UsageError(f"{what} '{name}' is not a commit, branch or tag in {info.root}")
    return sha


def branch_ref(name: str) -> str:
    """``name`` as a full ref: ``refs/...`` as given, else ``refs/heads/<name>``."""
    return name if name.startswith("refs/") else f"refs/heads/{name}"


def push_event(
    info: RepoInfo, *, ref: str | None, before: str | None, after: str | None
) -> TriggerEvent:
    """A branch push; ``before`` defaults to ``after~1`` (all zeros for a root commit)."""
    if not info.is_repo:
        raise UsageError(f"{info.root} is not a git repository")
    full_ref = branch_ref(ref) if ref else (info.ref or f"refs/heads/{info.default_branch}")
    short = full_ref.split("/", 2)[-1]
    if after:
        after_sha = _commit(info, after, "--after")
    else:
        after_sha = resolve(info.root, full_ref) or _commit(info, "HEAD", "HEAD")
    if before is not None:
        before_sha = before if is_zero(before) else _commit(info, before, "--before")
    else:
        before_sha = resolve(info.root, f"{after_sha}~1") or ZERO_SHA
    base_ref = None
    if is_zero(before_sha) and short != info.default_branch:
        base_ref = f"refs/heads/{info.default_branch}"
    changed = None
    if full_ref.startswith("refs/heads/"):
        changed = push_changed_files(
            info.root, before=before_sha, after=after_sha, default_branch=info.default_branch
        )
    payload = push_payload(
        info, ref=full_ref, before=before_sha, after=after_sha, base_ref=base_ref
    )
    return TriggerEvent("push", payload, full_ref, after_sha, changed)


def tag_event(info: RepoInfo, name: str) -> TriggerEvent:
    """A tag push: ``refs/tags/NAME`` at the tag's commit (HEAD when it does not exist)."""
    if not info.is_repo:
        raise UsageError(f"{info.root} is not a git repository")
    tag = name.removeprefix("refs/tags/")
    sha = resolve(info.root, f"refs/tags/{tag}") or _commit(info, "HEAD", "HEAD")
    ref = f"refs/tags/{tag}"
    payload = push_payload(info, ref=ref, before=ZERO_SHA, after=sha)
    return TriggerEvent("push", payload, ref, sha, None)


def pull_request_event(
    info: RepoInfo,
    *,
    base: str | None,
    head: str | None,
    action: str,
    labels: Sequence[str],
    number: int = 1,
    title: str = "",
) -> TriggerEvent:
    """A pull request from ``head`` (default: current branch) into ``base`` (default branch)."""
    if not info.is_repo:
        raise UsageError(f"{info.root} is not a git repository")
    base_name = (base or info.default_branch).removeprefix("refs/heads/")
    head_name = (head or info.branch or "HEAD").removeprefix("refs/heads/")
    base_sha = _commit(info, base_name, "--base")
    head_sha = _commit(info, head_name, "--head")
    changed = pull_request_changed_files(info.root, base=base_sha, head=head_sha)
    payload = pull_request_payload(
        info,
        action=action,
        number=number,
        base=base_name,
        base_sha=base_sha,
        head=head_name,
        head_sha=head_sha,
        labels=labels,
        title=title,
    )
    return TriggerEvent("pull_request", payload, f"refs/pull/{number}/merge", head_sha, changed)


def changed_files_for(info: RepoInfo, event: str, payload: Mapping[str, Any]) -> list[str] | None:
    """Changed files of a push/pull_request payload (None for other events or outside git).

    For ``conveyor run``/``plan`` with a payload: the same computation as ``trigger``.
    """
    if not info.is_repo:
        return None
    if event == "push" and str(payload.get("ref", "")).startswith("refs/heads/"):
        after = str(payload.get("after") or info.sha or "")
        if is_zero(after):
            return []
        if resolve(info.root, after) is None:
            return None
        before = payload.get("before")
        if before is None:
            before = resolve_commit(info.root, f"{after}~1")
        return push_changed_files(
            info.root, before=before, after=after, default_branch=info.default_branch
        )
    if event in ("pull_request", "pull_request_target"):
        pr = payload.get("pull_request")
        if not isinstance(pr, Mapping):
            return None
        base = (pr.get("base") or {}).get("sha") or (pr.get("base") or {}).get("ref")
        head = (pr.get("head") or {}).get("sha") or (pr.get("head") or {}).get("ref")
        base_sha = resolve(info.root, str(base)) if base else None
        head_sha = resolve(info.root, str(head)) if head else None
        if base_sha and head_sha:
            return pull_request_changed_files(info.root, base=base_sha, head=head_sha)
    return None
