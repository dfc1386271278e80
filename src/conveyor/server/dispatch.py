"""``workflow_dispatch`` through the API: the ref resolved in the repository's mirror,
the workflow file found, the payload built as GitHub sends it (the token's user as its
sender), then the run queue plans and starts it with the same trigger rules as
``conveyor trigger`` (:meth:`conveyor.server.queue.RunQueue.submit`)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from conveyor.errors import NotFound
from conveyor.server.queue import RunQueue

WORKFLOWS = ".github/workflows"


def workflow_path(checkout: Path, workflow: str) -> str:
    """The repository-relative path of ``workflow``: a path as given, or a file (with or
    without ``.yml``/``.yaml``) of ``.github/workflows``."""
    candidates = [workflow] if "/" in workflow else []
    candidates += [f"{WORKFLOWS}/{workflow}{suffix}" for suffix in ("", ".yml", ".yaml")]
    for candidate in candidates:
        if (checkout / candidate).is_file():
            return candidate
    folder = checkout / WORKFLOWS
    known = sorted(p.name for p in folder.glob("*.y*ml")) if folder.is_dir() else []
    raise NotFound(
        f"no workflow {workflow!r} at that commit; its workflows: {', '.join(known) or 'none'}"
    )


def dispatch(
    queue: RunQueue,
    name: str,
    *,
    workflow: str,
    ref: str,
    inputs: Mapping[str, Any],
    actor: str,
) -> list[int]:
    """Start ``workflow`` of repository ``name`` at ``ref`` (default: its default branch)
    with ``inputs``; the ids of the runs started."""
    from conveyor.planner.payloads import PayloadRepo, dispatch_payload

    repo = queue.repository(name)
    queue.mirrors.sync(repo.name, repo.url)
    default = queue.mirrors.default_branch(repo.name)
    wanted = ref or default
    commit = queue.mirrors.resolve(repo.name, repo.url, wanted)
    if commit is None:
        raise NotFound(f"repository {name!r} has no branch, tag or commit {wanted!r}")
    full_ref = wanted
    if not wanted.startswith("refs/"):
        for prefix in ("refs/heads/", "refs/tags/"):
            if queue.mirrors.resolve(repo.name, repo.url, prefix + wanted) == commit:
                full_ref = prefix + wanted
                break
    checkout = queue.mirrors.checkout(repo.name, repo.url, commit)
    path = workflow_path(checkout, workflow)
    payload = dispatch_payload(
        PayloadRepo(repo.name, default, actor), ref=full_ref, inputs=inputs, workflow=path
    )
    return queue.submit(
        repo.name,
        commit,
        "workflow_dispatch",
        payload,
        ref=full_ref if full_ref.startswith("refs/") else None,
        workflow=path,
        inputs=inputs,
        cause="api",
    )
