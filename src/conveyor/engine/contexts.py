"""The ``github`` and ``runner`` contexts and the GITHUB_* / RUNNER_* variables, as on GitHub."""

from __future__ import annotations

import os
import platform
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conveyor.engine.secrets import without_secrets

SERVER_URL = "https://github.com"
API_URL = "https://api.github.com"
GRAPHQL_URL = "https://api.github.com/graphql"


@dataclass(frozen=True, slots=True)
class RepoFacts:
    """Facts about the local repository (filled by the CLI from ``conveyor.git``)."""

    root: Path
    sha: str = "0" * 40
    ref: str = "refs/heads/main"
    ref_name: str = "main"
    branch: str | None = "main"
    default_branch: str = "main"
    repository: str = "local/repository"
    actor: str = "conveyor"
    remote_url: str | None = None


@dataclass(frozen=True, slots=True)
class RunIdentity:
    run_id: int
    run_number: int
    event_name: str
    event: Mapping[str, Any]
    workflow_name: str
    workflow_file: str  # path relative to the repository root, e.g. .github/workflows/ci.yml


def runner_arch() -> str:
    machine = platform.machine().lower()
    return {"x86_64": "X64", "amd64": "X64", "aarch64": "ARM64", "arm64": "ARM64"}.get(
        machine, machine.upper() or "X64"
    )


def github_context(repo: RepoFacts, run: RunIdentity, token: str) -> dict[str, Any]:
    """The run-wide part of ``github``; jobs add ``job``, ``workspace``, ``action``, ..."""
    ref = repo.ref
    payload = dict(run.event)
    head_ref = base_ref = ""
    pr = payload.get("pull_request")
    if run.event_name.startswith("pull_request") and isinstance(pr, Mapping):
        head_ref = str((pr.get("head") or {}).get("ref", ""))
        base_ref = str((pr.get("base") or {}).get("ref", ""))
        number = pr.get("number") or payload.get("number")
        if number:
            ref = f"refs/pull/{number}/merge"
    ref_name = ref.split("/", 2)[2] if ref.count("/") >= 2 else ref
    ref_type = "tag" if ref.startswith("refs/tags/") else "branch"
    owner = repo.repository.split("/", 1)[0]
    sender = payload.get("sender")
    actor = repo.actor
    if isinstance(sender, Mapping) and sender.get("login"):
        actor = str(sender["login"])
    return {
        "event_name": run.event_name,
        "event": payload,
        "sha": repo.sha,
        "ref": ref,
        "ref_name": ref_name,
        "ref_type": ref_type,
        "ref_protected": False,
        "head_ref": head_ref,
        "base_ref": base_ref,
        "repository": repo.repository,
        "repository_owner": owner,
        "repositoryUrl": f"git://github.com/{repo.repository}.git",
        "actor": actor,
        "triggering_actor": actor,
        "run_id": str(run.run_id),
        "run_number": str(run.run_number),
        "run_attempt": "1",
        "retention_days": "90",
        "server_url": SERVER_URL,
        "api_url": API_URL,
        "graphql_url": GRAPHQL_URL,
        "workflow": run.workflow_name,
        "workflow_ref": f"{repo.repository}/{run.workflow_file}@{ref}",
        "workflow_sha": repo.sha,
        "token": token,
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


def runner_context(state_dir: Path, temp: Path, debug: bool = False) -> dict[str, Any]:
    return {
        "os": "Linux",
        "arch": runner_arch(),
        "name": f"conveyor-{socket.gethostname()}",
        "environment": "self-hosted",
        "temp": str(temp),
        "tool_cache": str(state_dir / "tools"),
        "debug": "1" if debug else "",
    }


def default_env(github: Mapping[str, Any], runner: Mapping[str, Any]) -> dict[str, str]:
    """GITHUB_* / RUNNER_* / CI variables every step sees (GITHUB_OUTPUT etc. come from the
    step runner)."""
    names = [
        "event_name",
        "sha",
        "ref",
        "ref_name",
        "ref_type",
        "head_ref",
        "base_ref",
        "repository",
        "repository_owner",
        "actor",
        "triggering_actor",
        "run_id",
        "run_number",
        "run_attempt",
        "retention_days",
        "server_url",
        "api_url",
        "graphql_url",
        "workflow",
        "workflow_ref",
        "workflow_sha",
        "job",
        "workspace",
        "action",
        "action_path",
        "action_repository",
        "action_ref",
        "event_path",
    ]
    env = {f"GITHUB_{n.upper()}": str(github.get(n, "")) for n in names}
    env["GITHUB_REF_PROTECTED"] = "false"
    env["GITHUB_ACTIONS"] = "true"
    env["CI"] = "true"
    for key in ("os", "arch", "name", "environment", "temp", "tool_cache"):
        env[f"RUNNER_{key.upper()}"] = str(runner[key])
    if runner.get("debug"):
        env["RUNNER_DEBUG"] = "1"
    return env


def base_process_env() -> dict[str, str]:
    """The environment steps inherit from conveyor itself (minus conveyor's own secrets)."""
    return without_secrets(os.environ)
