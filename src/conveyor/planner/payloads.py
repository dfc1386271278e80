"""Event payloads as GitHub sends them, built from facts (pure): the one payload builder.

``conveyor trigger``, ``conveyor run``, ``conveyor plan``, the scheduler and the engine all
build payloads here; what they read from git (commits, shas, the forced flag) comes in as
plain data (:mod:`conveyor.triggers.payloads` gathers it). Only the fields workflows
commonly read are filled.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from conveyor.expressions.values import to_string

ZERO_SHA = "0" * 40
PULL_REQUEST_EVENTS = frozenset({"pull_request", "pull_request_target"})


@dataclass(frozen=True, slots=True)
class PayloadRepo:
    """The repository facts every payload carries."""

    repository: str = "local/repo"  # owner/name (a bare name is put under "local/")
    default_branch: str = "main"
    actor: str = "local"


def _is_zero(sha: str | None) -> bool:
    return not sha or set(sha) == {"0"}


def repository_block(repo: PayloadRepo) -> dict[str, Any]:
    full = repo.repository if "/" in repo.repository else f"local/{repo.repository}"
    owner = full.split("/", 1)[0]
    return {
        "full_name": full,
        "name": full.split("/", 1)[1],
        "owner": {"login": owner, "name": owner},
        "default_branch": repo.default_branch,
        "master_branch": repo.default_branch,
    }


def _sender(repo: PayloadRepo) -> dict[str, str]:
    return {"login": repo.actor}


def push_payload(
    repo: PayloadRepo,
    *,
    ref: str,
    before: str | None,
    after: str,
    commits: Sequence[Mapping[str, Any]] = (),
    head_commit: Mapping[str, Any] | None = None,
    forced: bool = False,
    base_ref: str | None = None,
) -> dict[str, Any]:
    """A ``push`` payload (branch or tag); ``head_commit`` defaults to the last commit."""
    before_sha = before or ZERO_SHA
    head = head_commit if head_commit is not None else (commits[-1] if commits else None)
    if head is None and not _is_zero(after):
        head = {"id": after}
    return {
        "ref": ref,
        "before": before_sha,
        "after": after,
        "created": _is_zero(before_sha),
        "deleted": _is_zero(after),
        "forced": forced,
        "base_ref": base_ref,
        "compare": "",
        "commits": [dict(c) for c in commits],
        "head_commit": dict(head) if head is not None else None,
        "repository": repository_block(repo),
        "pusher": {"name": repo.actor, "email": None},
        "sender": _sender(repo),
    }


def pull_request_payload(
    repo: PayloadRepo,
    *,
    action: str,
    number: int,
    base: str,
    base_sha: str,
    head: str,
    head_sha: str,
    labels: Sequence[str] = (),
    title: str = "",
    draft: bool = False,
) -> dict[str, Any]:
    """A ``pull_request`` payload."""
    block = repository_block(repo)
    owner = block["owner"]["login"]
    payload: dict[str, Any] = {
        "action": action,
        "number": number,
        "pull_request": {
            "number": number,
            "state": "closed" if action == "closed" else "open",
            "title": title or f"{head} into {base}",
            "draft": draft,
            "merged": False,
            "user": _sender(repo),
            "labels": [{"name": name} for name in labels],
            "head": {"ref": head, "sha": head_sha, "label": f"{owner}:{head}", "repo": block},
            "base": {"ref": base, "sha": base_sha, "label": f"{owner}:{base}", "repo": block},
        },
        "repository": block,
        "sender": _sender(repo),
    }
    if action in ("labeled", "unlabeled") and labels:
        payload["label"] = {"name": labels[-1]}
    return payload


def dispatch_payload(
    repo: PayloadRepo, *, ref: str, inputs: Mapping[str, Any], workflow: str = ""
) -> dict[str, Any]:
    """A ``workflow_dispatch`` payload: ``inputs`` are strings, as on GitHub."""
    return {
        "inputs": {str(k): to_string(v) for k, v in inputs.items()},
        "ref": ref,
        "workflow": workflow,
        "repository": repository_block(repo),
        "sender": _sender(repo),
    }


def schedule_payload(repo: PayloadRepo, cron: str) -> dict[str, Any]:
    """A ``schedule`` payload: ``github.event.schedule`` is the cron that fired."""
    return {"schedule": cron, "repository": repository_block(repo), "sender": _sender(repo)}


def default_payload(
    event: str,
    repo: PayloadRepo | None = None,
    *,
    ref: str | None = None,
    sha: str | None = None,
    inputs: Mapping[str, Any] | None = None,
    workflow: str = "",
    cron: str = "",
) -> dict[str, Any]:
    """The payload of ``event`` when nothing more is known than the repository, its ref and
    sha (defaults: a repository ``local/repo`` at ``refs/heads/main``, zero sha)."""
    facts = repo or PayloadRepo()
    full_ref = ref or f"refs/heads/{facts.default_branch}"
    commit = sha or ZERO_SHA
    if event == "push":
        return push_payload(facts, ref=full_ref, before=ZERO_SHA, after=commit)
    if event in PULL_REQUEST_EVENTS:
        return pull_request_payload(
            facts,
            action="opened",
            number=1,
            base=facts.default_branch,
            base_sha=ZERO_SHA,
            head="feature",
            head_sha=commit,
        )
    if event == "workflow_dispatch":
        return dispatch_payload(facts, ref=full_ref, inputs=inputs or {}, workflow=workflow)
    if event == "schedule":
        return schedule_payload(facts, cron)
    return {"ref": full_ref, "repository": repository_block(facts), "sender": _sender(facts)}
