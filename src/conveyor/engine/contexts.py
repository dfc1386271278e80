"""The ``runner`` context and the GITHUB_* / RUNNER_* variables, as on GitHub (the
``github`` context is built by :mod:`conveyor.planner.github`)."""

from __future__ import annotations

import os
import platform
import socket
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from conveyor.engine.secrets import without_secrets

# Steps see the repository's history key here, so `conveyor runs` (or `report latest`)
# called from a step lists the repository being run, wherever its workspace is.
REPOSITORY_ENV = "CONVEYOR_REPOSITORY"
# Steps of a job with `environment:` see its name here (conveyor/deploy@v1 reads it).
ENVIRONMENT_ENV = "CONVEYOR_ENVIRONMENT"


def runner_arch() -> str:
    machine = platform.machine().lower()
    return {"x86_64": "X64", "amd64": "X64", "aarch64": "ARM64", "arm64": "ARM64"}.get(
        machine, machine.upper() or "X64"
    )


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
