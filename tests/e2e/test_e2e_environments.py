"""Environments with protection rules, through the real CLI: approvals (approve, reject,
self-review refused), wait timers, the deployment policy (tags on main), parking with
--no-wait and resuming, and an environment's own variables and secrets."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest
from e2e_helpers import CONVEYOR, env_for, history, make_repo, start

DEPLOY = """
name: Deploy
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: echo built >> "{counts}/build"
  deploy:
    needs: build
    runs-on: ubuntu-latest
    environment:
      name: production
      url: https://example.test/${{{{ github.sha }}}}
    steps:
      - run: |
          echo deployed >> "{counts}/deploy"
          echo "api=${{{{ vars.API_URL }}}} db=${{{{ secrets.DB_URL }}}}"
  other:
    runs-on: ubuntu-latest
    steps:
      - run: echo "other sees api=[${{{{ vars.API_URL }}}}] db=[${{{{ secrets.DB_URL }}}}]"
"""

CONFIG = """
[environments.production]
reviewers = ["alice", "release-team"]
{extra}
vars = {{ API_URL = "https://api.example.test" }}

[teams]
release-team = ["bob"]
"""


def conveyor(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CONVEYOR, *args],
        cwd=repo,
        env=env_for(repo),
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def project(tmp_path: Path, extra: str = "") -> tuple[Path, Path]:
    counts = tmp_path / "counts"
    counts.mkdir()
    repo = make_repo(
        tmp_path / "r",
        {
            "deploy.yml": DEPLOY.format(counts=counts),
            "conveyor.toml": CONFIG.format(extra=extra),
            ".secrets.production": "DB_URL=postgres://prod-secret-value@db/app\n",
        },
    )
    return repo, counts


def wait_pending(repo: Path, timeout: float = 60) -> list[dict[str, object]]:
    deadline = time.time() + timeout
    while time.time() < deadline:
        found = json.loads(conveyor(repo, "pending", "--json").stdout or "[]")
        if found:
            return list(found)
        time.sleep(0.2)
    raise AssertionError("nothing became pending")


@pytest.mark.slow
def test_a_reviewer_approves_and_the_job_runs_with_its_environment(tmp_path: Path) -> None:
    repo, counts = project(tmp_path)
    proc = start(repo)
    (pending,) = wait_pending(repo)
    assert (pending["run"], pending["job"], pending["environment"]) == (1, "deploy", "production")
    assert pending["reviewers"] == ["alice", "bob"]  # the team is its members
    assert not (counts / "deploy").exists() and (counts / "build").exists()
    refused = conveyor(repo, "approve", "1", "--env", "production", "--as", "mallory")
    assert refused.returncode == 2 and "reviewers are alice, bob" in refused.stderr
    ok = conveyor(repo, "approve", "1", "--env", "production", "--as", "bob", "--comment", "go")
    assert ok.returncode == 0, ok.stderr
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, out
    assert "waiting for approval (production): conveyor approve 1 --env production" in out
    assert (counts / "deploy").read_text().split() == ["deployed"]
    assert "api=https://api.example.test db=***" in out
    assert "other sees api=[] db=[]" in out  # not a job of the environment
    assert "prod-secret-value" not in out
    shown = json.loads(conveyor(repo, "show", "1", "--format", "json").stdout)
    deploy = next(j for j in shown["jobs"] if j["job_key"] == "deploy")
    assert deploy["conclusion"] == "success"
    again = conveyor(repo, "approve", "1", "--env", "production", "--as", "bob")
    assert again.returncode == 2 and "already approved by bob" in again.stderr
    assert json.loads(conveyor(repo, "pending", "--json").stdout) == []


@pytest.mark.slow
def test_a_rejection_fails_the_job_naming_who_and_why(tmp_path: Path) -> None:
    repo, counts = project(tmp_path)
    proc = start(repo)
    wait_pending(repo)
    result = conveyor(
        repo, "reject", "1", "--env", "production", "--as", "alice", "--comment", "not today"
    )
    assert result.returncode == 0, result.stderr
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 1, out
    assert "rejected by alice: not today" in out
    assert not (counts / "deploy").exists()


@pytest.mark.slow
def test_prevent_self_review_refuses_the_runs_author(tmp_path: Path) -> None:
    repo, counts = project(tmp_path)
    repo.joinpath("conveyor.toml").write_text(
        CONFIG.format(extra="prevent-self-review = true").replace('"alice", ', '"t", ')
    )
    subprocess.run(["git", "-C", str(repo), "config", "user.name", "t"], check=True)
    proc = start(repo)  # the run's actor is git's user.name: "t"
    wait_pending(repo)
    refused = conveyor(repo, "approve", "1", "--env", "production", "--as", "t")
    assert refused.returncode == 2 and "prevent-self-review" in refused.stderr
    assert conveyor(repo, "approve", "1", "--env", "production", "--as", "bob").returncode == 0
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, out
    assert (counts / "deploy").exists()


@pytest.mark.slow
def test_a_wait_timer_holds_the_job(tmp_path: Path) -> None:
    repo, counts = project(tmp_path)
    repo.joinpath("conveyor.toml").write_text('[environments.production]\nwait-timer = "3s"\n')
    began = time.time()
    result = conveyor(repo, "run")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "waiting for the wait timer (production)" in result.stdout
    assert time.time() - began >= 3
    assert (counts / "deploy").exists()


@pytest.mark.slow
def test_no_wait_parks_the_run_and_resume_continues_it(tmp_path: Path) -> None:
    repo, counts = project(tmp_path)
    parked = conveyor(repo, "run", "--no-wait")
    assert parked.returncode == 0, parked.stdout + parked.stderr
    assert "conveyor resume 1" in parked.stdout
    assert "waiting" in history(repo)
    early = conveyor(repo, "resume", "1", "--no-wait")
    assert early.returncode == 0 and "waits for a decision" in early.stdout
    assert conveyor(repo, "approve", "1", "--env", "production", "--as", "alice").returncode == 0
    resumed = conveyor(repo, "resume", "1")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert (counts / "build").read_text().split() == ["built"]  # kept, not run again
    assert (counts / "deploy").read_text().split() == ["deployed"]
    assert "success" in history(repo)


def _tag(repo: Path, name: str) -> str:
    subprocess.run(["git", "-C", str(repo), "tag", name], check=True)
    return subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "HEAD"], check=True, capture_output=True, text=True
    ).stdout.strip()


def _run_on_tag(repo: Path, tag: str, sha: str) -> subprocess.CompletedProcess[str]:
    payload = repo.parent / f"{tag}.json"
    payload.write_text(json.dumps({"ref": f"refs/tags/{tag}", "after": sha}))
    return conveyor(repo, "run", "--payload", str(payload))


@pytest.mark.slow
def test_deployment_policy_wants_a_tag_whose_commit_is_on_main(tmp_path: Path) -> None:
    repo, counts = project(tmp_path)
    repo.joinpath("conveyor.toml").write_text(
        '[environments.production]\ndeploy-from = { tags = ["v*"], on-branch = "main" }\n'
    )
    subprocess.run(["git", "-C", str(repo), "add", "-A"], check=True)
    subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", "c"],
        check=True,
    )
    on_main = _tag(repo, "v1.0")
    ok = _run_on_tag(repo, "v1.0", on_main)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert (counts / "deploy").read_text().split() == ["deployed"]
    subprocess.run(["git", "-C", str(repo), "checkout", "-qb", "side"], check=True)
    subprocess.run(
        [
            "git",
            "-C",
            str(repo),
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@e",
            "commit",
            "--allow-empty",
            "-qm",
            "side",
        ],
        check=True,
    )
    off_main = _tag(repo, "v1.1")
    refused = _run_on_tag(repo, "v1.1", off_main)
    assert refused.returncode == 1
    assert f"tag 'v1.1' (commit {off_main[:7]}) is not on 'main'" in refused.stdout
    not_a_release = _run_on_tag(repo, "nightly", off_main)
    assert "tag 'nightly' is not one of them" in not_a_release.stdout
    assert (counts / "deploy").read_text().split() == ["deployed"]  # only the good one ran


def test_a_bad_environment_pattern_is_bad_input_with_its_line(tmp_path: Path) -> None:
    repo, counts = project(tmp_path)
    repo.joinpath("conveyor.toml").write_text(
        '[environments.production]\n\ndeploy-from = { tags = ["v[*"] }\n'
    )
    result = conveyor(repo, "run")
    assert result.returncode == 2
    assert "conveyor.toml:3" in result.stderr and "v[*" in result.stderr
    assert not (counts / "build").exists()
