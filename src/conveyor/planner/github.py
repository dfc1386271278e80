"""The ``github`` context, as GitHub builds it: the one builder, for plans and runs (pure).

Before a run (planning) only the event is known: the context holds what the event and its
payload give. A run adds what it knows of the repository (:class:`RepoFacts`) and of
itself (:class:`RunIdentity`). Jobs add ``job``, ``workspace`` and ``token``; steps add
``action``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conveyor.planner.payloads import PULL_REQUEST_EVENTS, ZERO_SHA

SERVER_URL = "https://github.com"
API_URL = "https://api.github.com"
GRAPHQL_URL = "https://api.github.com/graphql"
DEFAULT_REF = "refs/heads/main"


@dataclass(frozen=True, slots=True)
class RepoFacts:
    """Facts about the local repository (filled by the CLI from ``conveyor.git``)."""

    root: Path
    sha: str = ZERO_SHA
    ref: str = DEFAULT_REF
    ref_name: str = "main"
    branch: str | None = "main"
    default_branch: str = "main"
    repository: str = "local/repository"
    actor: str = "conveyor"
    remote_url: str | None = None
    repository_key: str = ""  # history key (conveyor.git.identity); "" means str(root)
    repository_url: str | None = None  # origin URL without credentials

    @property
    def history_key(self) -> str:
        """The key the run store files this repository's runs under."""
        return self.repository_key or str(self.root)


@dataclass(frozen=True, slots=True)
class RunIdentity:
    run_id: int
    run_number: int
    workflow_name: str
    workflow_file: str  # path relative to the repository root, e.g. .github/workflows/ci.yml
    attempt: int = 1


def dig(data: Mapping[str, Any], *keys: str) -> Any:
    value: Any = data
    for key in keys:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def event_ref(event: str, payload: Mapping[str, Any], fallback: str = DEFAULT_REF) -> str:
    """``GITHUB_REF``: a pull request's merge ref, else the payload's ref, else ``fallback``."""
    if event in PULL_REQUEST_EVENTS:
        number = dig(payload, "pull_request", "number") or payload.get("number") or 1
        return f"refs/pull/{number}/merge"
    ref = payload.get("ref")
    return ref if isinstance(ref, str) and ref else fallback


def github_context(
    event: str,
    payload: Mapping[str, Any],
    repo: RepoFacts | None = None,
    run: RunIdentity | None = None,
) -> dict[str, Any]:
    """``github`` for ``event`` with ``payload``; fuller with the repository and the run."""
    ref = event_ref(event, payload, repo.ref if repo is not None else DEFAULT_REF)
    sha = (
        dig(payload, "pull_request", "head", "sha")
        if event in PULL_REQUEST_EVENTS
        else payload.get("after")
    )
    if not sha or (repo is not None and set(str(sha)) == {"0"}):
        sha = repo.sha if repo is not None else ZERO_SHA
    context: dict[str, Any] = {
        "event_name": event,
        "event": dict(payload),
        "ref": ref,
        "ref_name": ref.split("/", 2)[2] if ref.count("/") >= 2 else ref,
        "ref_type": "tag" if ref.startswith("refs/tags/") else "branch",
        "sha": str(sha),
        "base_ref": "",
        "head_ref": "",
    }
    if event in PULL_REQUEST_EVENTS:
        context["base_ref"] = str(dig(payload, "pull_request", "base", "ref") or "")
        context["head_ref"] = str(dig(payload, "pull_request", "head", "ref") or "")
    if repo is not None:
        context.update(_repository(repo, payload))
    if run is not None:
        repository = repo.repository if repo is not None else ""
        context.update(
            run_id=str(run.run_id),
            run_number=str(run.run_number),
            run_attempt=str(run.attempt),
            workflow=run.workflow_name,
            workflow_ref=f"{repository}/{run.workflow_file}@{ref}",
            workflow_sha=context["sha"],
        )
    return context


def _repository(repo: RepoFacts, payload: Mapping[str, Any]) -> dict[str, Any]:
    login = dig(payload, "sender", "login")
    actor = str(login) if login else repo.actor
    return {
        "ref_protected": False,
        "repository": repo.repository,
        "repository_owner": repo.repository.split("/", 1)[0],
        "repositoryUrl": f"git://github.com/{repo.repository}.git",
        "actor": actor,
        "triggering_actor": actor,
        "retention_days": "90",
        "server_url": SERVER_URL,
        "api_url": API_URL,
        "graphql_url": GRAPHQL_URL,
        "token": "",
        "secret_source": "None",
        "action": "",
        "action_path": "",
        "action_ref": "",
        "action_repository": "",
        "job": "",
        "workspace": "",
        "path": "",
        "env": "",
    }
