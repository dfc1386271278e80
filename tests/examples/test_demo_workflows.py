"""`make demo`'s workflows, run by conveyor on a copy of the example, end green.

The same steps as the Makefile: copy examples/service into its own git repository, run
the PR-validation workflow on a push, the nightly build on a schedule event, and print
the nightly report.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conveyor.agent.address import NO_AGENT_ENV as NO_AGENT

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "service"
CONVEYOR = [sys.executable, "-m", "conveyor"]


def _conveyor(repo: Path, state: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CONVEYOR_", "PYTEST_")) or k == NO_AGENT
    }
    env["CI"] = "true"
    if "CONVEYOR_EXECUTOR" in os.environ:  # the suite's executor: the demo runs under both
        env["CONVEYOR_EXECUTOR"] = os.environ["CONVEYOR_EXECUTOR"]
    return subprocess.run(
        [*CONVEYOR, *args, "--state-dir", str(state)],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("demo")
    repo = base / "service"
    shutil.copytree(
        EXAMPLE, repo, ignore=shutil.ignore_patterns("__pycache__", ".*_cache", ".venv")
    )
    git = ["git", "-C", str(repo)]
    subprocess.run([*git, "init", "-q", "-b", "main"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run(
        [*git, "-c", "user.name=d", "-c", "user.email=d@e", "commit", "-qm", "d"], check=True
    )
    return repo, base / "state"


@pytest.mark.slow
def test_pr_validation_runs_green(demo: tuple[Path, Path]) -> None:
    repo, state = demo
    done = _conveyor(repo, state, "run", "-W", ".github/workflows/pr-validation.yml")
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    for job in ("lint", "types", "unit (1)", "unit (4)", "audit", "summary"):
        assert f"[{job}] ✓ job succeeded" in done.stdout, job
    assert "PR validation #1 succeeded" in done.stdout


@pytest.mark.slow
def test_nightly_on_schedule_reports_every_tier(demo: tuple[Path, Path]) -> None:
    repo, state = demo
    done = _conveyor(
        repo, state, "run", "-W", ".github/workflows/nightly.yml", "--event", "schedule"
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    report = _conveyor(repo, state, "report", "latest", "--format", "md")
    assert report.returncode == 0, report.stderr
    assert "Nightly build PASSED" in report.stdout
    for tier in ("integration", "smoke", "e2e"):
        assert f"| {tier} | ✅ |" in report.stdout
