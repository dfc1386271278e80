"""What a GitHub webhook delivery asks for: which events run, on which commit and ref.

:func:`classify` looks at the event name and payload only (before anything is recorded):
an event conveyor does not run anything for is ignored with a reason; a ``push`` that
deletes a branch or tag has no commit to run. :func:`targets` resolves, against the
repository's mirror, the commit each event of a delivery runs on (``create``, ``release``
and ``delete`` payloads name a ref, not a commit).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

ZERO = "0" * 40

RUNNABLE = ("push", "pull_request", "create", "delete", "release")


@dataclass(frozen=True, slots=True)
class Target:
    event: str  # the event workflows are planned for
    ref: str  # GITHUB_REF
    commit: str | None  # None: resolve ``lookup`` in the mirror
    lookup: str = ""


def _get(payload: Mapping[str, Any], *keys: str) -> Any:
    value: Any = payload
    for key in keys:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def classify(event: str, payload: Mapping[str, Any]) -> str | None:
    """None when the delivery may start runs, else why it is ignored."""
    if event not in RUNNABLE:
        return f"event {event!r} starts no workflows here (taken: {', '.join(RUNNABLE)})"
    if event == "push":
        after = str(payload.get("after") or "")
        if payload.get("deleted") is True or after == ZERO or not after:
            return f"push deleting {payload.get('ref')}: no commit to run"
        if not isinstance(payload.get("ref"), str):
            return "push without a ref"
    if event == "pull_request" and not isinstance(
        _get(payload, "pull_request", "head", "sha"), str
    ):
        return "pull_request without pull_request.head.sha"
    if event in ("create", "delete") and not isinstance(payload.get("ref"), str):
        return f"{event} without a ref"
    if event == "release" and not isinstance(_get(payload, "release", "tag_name"), str):
        return "release without release.tag_name"
    return None


def targets(event: str, payload: Mapping[str, Any], default_branch: str) -> list[Target]:
    """The events a delivery runs (a pull request also runs ``pull_request_target``
    workflows, on the base branch's commit), each with its ref and commit."""
    if event == "push":
        return [Target("push", str(payload["ref"]), str(payload["after"]))]
    if event == "pull_request":
        number = _get(payload, "pull_request", "number") or payload.get("number") or 1
        base = str(_get(payload, "pull_request", "base", "ref") or default_branch)
        base_sha = _get(payload, "pull_request", "base", "sha")
        return [
            Target(
                "pull_request",
                f"refs/pull/{number}/merge",
                str(_get(payload, "pull_request", "head", "sha")),
            ),
            Target(
                "pull_request_target",
                f"refs/heads/{base}",
                str(base_sha) if isinstance(base_sha, str) else None,
                f"refs/heads/{base}",
            ),
        ]
    if event == "create":
        kind = "tags" if payload.get("ref_type") == "tag" else "heads"
        ref = f"refs/{kind}/{payload['ref']}"
        return [Target("create", ref, None, ref)]
    if event == "release":
        ref = f"refs/tags/{_get(payload, 'release', 'tag_name')}"
        return [Target("release", ref, None, ref)]
    if event == "delete":  # runs on the default branch: the deleted ref is gone
        ref = f"refs/heads/{default_branch}"
        return [Target("delete", ref, None, ref)]
    return []


def resolve_targets(
    found: list[Target], lookup: Callable[[str], str | None]
) -> tuple[list[Target], list[str]]:
    """Targets with their commits looked up; and what could not be found."""
    ready: list[Target] = []
    missing: list[str] = []
    for target in found:
        if target.commit is not None:
            ready.append(target)
            continue
        commit = lookup(target.lookup)
        if commit is None:
            missing.append(f"{target.event}: {target.lookup} is not in the repository")
        else:
            ready.append(Target(target.event, target.ref, commit, target.lookup))
    return ready, missing
