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
from conveyor.planner.payloads import (
    PULL_REQUEST_EVENTS,
    ZERO_SHA,
    default_payload,
    pull_request_payload,
)
from conveyor.triggers.changed_files import (
    is_zero,
    pull_request_changed_files,
    push_changed_files,
    resolve,
)
from conveyor.triggers.payloads import payload_repo, push_payload_from_git


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
    payload = push_payload_from_git(
        info,
        ref=full_ref,
        before=before_sha,
        after=after_sha,
        base_ref=base_ref,
        forced=False if before is None else None,  # after~1 is an ancestor of after
    )
    return TriggerEvent("push", payload, full_ref, after_sha, changed)


def tag_event(info: RepoInfo, name: str) -> TriggerEvent:
    """A tag push: ``refs/tags/NAME`` at the tag's commit (HEAD when it does not exist)."""
    if not info.is_repo:
        raise UsageError(f"{info.root} is not a git repository")
    tag = name.removeprefix("refs/tags/")
    sha = resolve(info.root, f"refs/tags/{tag}") or _commit(info, "HEAD", "HEAD")
    ref = f"refs/tags/{tag}"
    payload = push_payload_from_git(info, ref=ref, before=ZERO_SHA, after=sha)
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
        payload_repo(info),
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


def event_from_repo(
    info: RepoInfo,
    event: str,
    *,
    payload: Mapping[str, Any] | None = None,
    inputs: Mapping[str, Any] | None = None,
    workflow: str = "",
) -> TriggerEvent:
    """The event ``conveyor run``/``plan --event NAME`` use: the given payload, else the one
    ``conveyor trigger NAME`` builds with its defaults (push: the current branch's HEAD with
    ``HEAD~1`` as ``before``; pull_request: the current branch into the default branch);
    other events, or a repository without commits, get :func:`default_payload`."""
    if payload is not None:
        data = dict(payload)
    else:
        built = _built_event(info, event)
        if built is not None:
            return built
        data = default_payload(
            event,
            payload_repo(info),
            ref=info.ref,
            sha=info.sha,
            inputs=inputs,
            workflow=workflow,
        )
    ref = event_ref_of(event, data, info)
    sha = str(data.get("after") or info.sha or ZERO_SHA)
    return TriggerEvent(event, data, ref, sha, changed_files_for(info, event, data))


def _built_event(info: RepoInfo, event: str) -> TriggerEvent | None:
    if not info.is_repo or not info.sha:
        return None
    try:
        if event == "push":
            return push_event(info, ref=None, before=None, after=info.sha)
        if event in PULL_REQUEST_EVENTS:
            built = pull_request_event(info, base=None, head=None, action="opened", labels=())
            return TriggerEvent(event, built.payload, built.ref, built.sha, built.changed_files)
    except UsageError:
        return None  # e.g. no default branch to open a pull request into
    return None


def event_ref_of(event: str, payload: Mapping[str, Any], info: RepoInfo) -> str:
    if event in PULL_REQUEST_EVENTS:
        pr = payload.get("pull_request")
        number = pr.get("number") if isinstance(pr, Mapping) else None
        return f"refs/pull/{number or payload.get('number') or 1}/merge"
    ref = payload.get("ref")
    return str(ref) if ref else (info.ref or f"refs/heads/{info.default_branch}")
