"""`make demo`'s delivery half (examples/demo-delivery.sh), run on a copy of the example.

Build once, dev -> staging -> production (waiting for an approval, approved, resumed),
then a version whose smoke test fails and one whose E2E tests fail after the switch. The
script is run as `make demo` runs it; what it left behind is read back with
`conveyor deployments --json` and `conveyor artifacts --json`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conveyor.agent.address import NO_AGENT_ENV as NO_AGENT

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "service"
SCRIPT = ROOT / "examples" / "demo-delivery.sh"


def _env(state: Path, bin_dir: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CONVEYOR_", "PYTEST_")) or k == NO_AGENT
    }
    env["CI"] = "true"
    env["CONVEYOR_HOME"] = str(state)
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    if "CONVEYOR_EXECUTOR" in os.environ:
        env["CONVEYOR_EXECUTOR"] = os.environ["CONVEYOR_EXECUTOR"]
    return env


@pytest.fixture(scope="module")
def delivered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str, dict[str, str]]:
    base = tmp_path_factory.mktemp("delivery-demo")
    repo, state, bin_dir = base / "service", base / "state", base / "bin"
    shutil.copytree(
        EXAMPLE, repo, ignore=shutil.ignore_patterns("__pycache__", ".*_cache", ".venv")
    )
    bin_dir.mkdir()
    conveyor = bin_dir / "conveyor"  # this interpreter's conveyor, as `make demo` passes it
    conveyor.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m conveyor "$@"\n')
    conveyor.chmod(0o755)
    git = ["git", "-C", str(repo)]
    subprocess.run([*git, "init", "-q", "-b", "main"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run(
        [*git, "-c", "user.name=d", "-c", "user.email=d@e", "commit", "-qm", "d"], check=True
    )
    env = _env(state, bin_dir)
    done = subprocess.run(
        ["bash", str(SCRIPT), str(conveyor), str(state)],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-3000:]
    return repo, state, done.stdout, env


def _json(repo: Path, env: dict[str, str], *args: str) -> Any:
    out = subprocess.run(
        [sys.executable, "-m", "conveyor", *args, "--json"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(out.stdout)


@pytest.mark.slow
def test_one_build_is_promoted_to_production_after_an_approval(
    delivered: tuple[Path, Path, str, dict[str, str]],
) -> None:
    repo, _, out, env = delivered
    assert "waiting" in out and "production" in out
    data = _json(repo, env, "deployments", "--app", "tickets")
    live = {d["environment"]: d for d in data["live"]}
    assert set(live) == {"dev", "staging", "production"}
    # staging and production run the very build dev was deployed from: same version, digest
    assert live["staging"]["digest"] == live["production"]["digest"]
    assert live["staging"]["version"] == live["production"]["version"]
    artifacts = _json(repo, env, "artifacts", "--app", "tickets")
    first = [a for a in artifacts if a["version"] == live["production"]["version"]]
    assert len(first) == 1 and set(first[0]["live_in"]) >= {"dev", "staging", "production"}


@pytest.mark.slow
def test_a_failed_smoke_test_keeps_the_alias_and_a_failed_e2e_rolls_back(
    delivered: tuple[Path, Path, str, dict[str, str]],
) -> None:
    repo, _, out, env = delivered
    assert "(failed, as it should: smoke test)" in out
    assert "(failed, as it should: E2E; rolled back)" in out
    history = _json(repo, env, "deployments", "--app", "tickets", "--env", "dev")["history"]
    statuses = [d["status"] for d in history]
    assert "smoke_failed" in statuses
    rollbacks = [d for d in history if d["action"] == "rollback"]
    assert rollbacks, statuses
    live = [d for d in history if d["status"] == "live"]
    # after the automatic rollback, dev runs the first (good) build again
    first_dev = history[-1]
    assert len(live) == 1 and live[0]["digest"] == first_dev["digest"]
