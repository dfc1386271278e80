"""The delivery actions in real workflows run by `conveyor run` (its own process): build
once and promote dev -> staging with the digest checked, rollback-on a later job, and bad
input stopped before anything runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from delivery_helpers import git
from deploy_helpers import APP, app_config, get

from conveyor.agent.address import NO_AGENT_ENV as NO_AGENT
from conveyor.delivery.ports import Target
from conveyor.providers.process import ProcessProvider, stop_all

CONVEYOR = str(Path(sys.executable).parent / "conveyor")

BUILD_AND_DEPLOY_DEV = """
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    outputs:
      version: ${{ steps.publish.outputs.version }}
    steps:
      - uses: actions/checkout@v4
      - id: publish
        uses: conveyor/publish@v1
        with: { app: web, path: app }
  deploy:
    needs: build
    runs-on: ubuntu-latest
    environment: dev
    steps:
      - uses: conveyor/deploy@v1
        with:
          app: web
          version: ${{ needs.build.outputs.version }}
          smoke: GET /healthz 200 ok
          rollback-on: e2e
  e2e:
    needs: deploy
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: test "$(cat VERSION_EXPECTED 2>/dev/null || echo fine)" = fine
"""

PROMOTE_TO_STAGING = """
on: push
jobs:
  deploy:
    runs-on: ubuntu-latest
    environment: staging
    steps:
      - uses: actions/checkout@v4
      - id: promote
        uses: conveyor/promote@v1
        with: { app: web, from: dev }
      - uses: conveyor/deploy@v1
        with:
          app: web
          version: ${{ steps.promote.outputs.version }}
          digest: ${{ steps.promote.outputs.digest }}
          verify: test "$(curl -s "$DEPLOY_URL/version")" = "$(cat app/VERSION)"
"""


def _env() -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items()
        if not k.startswith("CONVEYOR_") or k in ("CONVEYOR_EXECUTOR", NO_AGENT)
    }  # fmt: skip
    env["CI"] = "true"
    return env


def _run(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CONVEYOR, *args],
        cwd=repo,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _json(repo: Path, *args: str) -> object:
    done = _run(repo, *args, "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    for key in ("NAME", "EMAIL"):
        monkeypatch.setenv(f"GIT_AUTHOR_{key}", "tester" if key == "NAME" else "t@example.com")
        monkeypatch.setenv(f"GIT_COMMITTER_{key}", "tester" if key == "NAME" else "t@example.com")
    root = tmp_path / "shop"
    (root / ".github" / "workflows").mkdir(parents=True)
    (root / "app").mkdir()
    (root / "app" / "app.py").write_text(textwrap.dedent(APP).lstrip())
    (root / "app" / "VERSION").write_text("one\n")
    (root / "conveyor.toml").write_text(app_config())
    (root / ".github" / "workflows" / "dev.yml").write_text(BUILD_AND_DEPLOY_DEV)
    (root / ".github" / "workflows" / "staging.yml").write_text(PROMOTE_TO_STAGING)
    git("init", "-q", "-b", "main", cwd=root)
    git("add", "-A", cwd=root)
    git("commit", "-qm", "one", cwd=root)
    try:
        yield root
    finally:
        stop_all(root / ".conveyor")


def _live(repo: Path, env: str) -> str:
    url = ProcessProvider(repo / ".conveyor").endpoint(Target("web", env, {}))
    assert url is not None
    return get(url, "/version")


def test_build_once_promote_to_staging_with_the_same_digest(repo: Path) -> None:
    early = _run(repo, "run", "-W", ".github/workflows/staging.yml")
    assert early.returncode == 1
    sha = git("rev-parse", "HEAD", cwd=repo)
    assert f"No dev artifact for {sha}: push to dev first and wait for its deploy" in (
        early.stdout + early.stderr
    )
    dev = _run(repo, "run", "-W", ".github/workflows/dev.yml")
    assert dev.returncode == 0, dev.stdout + dev.stderr
    assert _live(repo, "dev") == "one"
    staging = _run(repo, "run", "-W", ".github/workflows/staging.yml")
    assert staging.returncode == 0, staging.stdout + staging.stderr
    assert _live(repo, "staging") == "one"
    deployments = _json(repo, "deployments")
    assert isinstance(deployments, dict)
    live = {d["environment"]: d for d in deployments["live"]}
    assert live["dev"]["digest"] == live["staging"]["digest"]
    assert live["dev"]["version"] == live["staging"]["version"]
    assert live["staging"]["commit"] == sha
    artifacts = _json(repo, "artifacts", "--app", "web")
    assert isinstance(artifacts, list) and len(artifacts) == 1  # built once
    assert artifacts[0]["live_in"] == ["dev", "staging"]


def test_a_failed_job_named_in_rollback_on_rolls_the_deploy_back(repo: Path) -> None:
    assert _run(repo, "run", "-W", ".github/workflows/dev.yml").returncode == 0
    (repo / "app" / "VERSION").write_text("two\n")
    (repo / "VERSION_EXPECTED").write_text("broken\n")  # the e2e job of this push fails
    git("add", "-A", cwd=repo)
    git("commit", "-qm", "two", cwd=repo)
    second = _run(repo, "run", "-W", ".github/workflows/dev.yml")
    assert second.returncode == 1
    assert "rolled back web in dev" in second.stderr
    assert _live(repo, "dev") == "one"
    history = _json(repo, "deployments", "--env", "dev")
    assert isinstance(history, dict)
    assert [(d["action"], d["status"]) for d in history["history"]] == [
        ("rollback", "live"), ("deploy", "rolled_back"), ("deploy", "superseded"),
    ]  # fmt: skip
    rolled = history["history"][1]
    assert "job e2e of run" in rolled["reason"] and "(rollback-on)" in rolled["reason"]


def test_an_unknown_environment_stops_the_run_before_anything(repo: Path) -> None:
    text = PROMOTE_TO_STAGING.replace("environment: staging", "environment: qa")
    (repo / ".github" / "workflows" / "staging.yml").write_text(text)
    done = _run(repo, "run", "-W", ".github/workflows/staging.yml")
    assert done.returncode == 2, done.stdout + done.stderr
    assert ".github/workflows/staging.yml:" in done.stderr
    assert f"{repo / 'conveyor.toml'}:" in done.stderr
    assert "unknown environment 'qa'" in done.stderr
    assert _run(repo, "runs").stdout.count("staging") == 0


RELEASE = """
on: push
jobs:
  release:
    runs-on: ubuntu-latest
    environment: production
    steps:
      - uses: actions/checkout@v4
      - id: publish
        uses: conveyor/publish@v1
        with: { app: web, path: app }
      - uses: conveyor/deploy@v1
        with:
          app: web
          version: ${{ steps.publish.outputs.version }}
"""


def test_the_deployment_records_who_approved_the_job(repo: Path) -> None:
    config = app_config().replace(
        "[environments.production]", '[environments.production]\nreviewers = ["bob"]'
    )
    (repo / "conveyor.toml").write_text(config)
    (repo / ".github" / "workflows" / "release.yml").write_text(RELEASE)
    git("add", "-A", cwd=repo)
    git("commit", "-qm", "release", cwd=repo)
    parked = _run(repo, "run", "-W", ".github/workflows/release.yml", "--no-wait")
    assert parked.returncode == 0, parked.stdout + parked.stderr
    assert _json(repo, "deployments") == {"live": [], "history": []}  # nothing before approval
    run_id = parked.stdout.split("conveyor resume ")[1].split()[0]
    approved = _run(
        repo, "approve", run_id, "--env", "production", "--as", "bob", "--comment", "ship it"
    )
    assert approved.returncode == 0, approved.stdout + approved.stderr
    resumed = _run(repo, "resume", run_id)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert _live(repo, "production") == "one"
    deployments = _json(repo, "deployments", "--env", "production")
    assert isinstance(deployments, dict)
    (live,) = deployments["live"]
    (decision,) = live["approvals"]
    assert (decision["by"], decision["status"], decision["comment"]) == (
        "bob",
        "approved",
        "ship it",
    )
    assert decision["environment"] == "production"
