"""``conveyor schedule list|run`` as a real process."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from trigger_helpers import CONVEYOR, Git, commit, conveyor

from conveyor.agent.address import NO_AGENT_ENV as NO_AGENT
from conveyor.store.schedule import FiringStore

pytestmark = pytest.mark.slow

NIGHTLY = """\
name: Nightly
on:
  schedule:
    - cron: '0 1 * * *'
      timezone: Asia/Bangkok
    - cron: '0 18 * * *'
jobs:
  report:
    runs-on: ubuntu-latest
    steps:
      - run: echo "fired by ${{ github.event.schedule }} event=${{ github.event_name }}"
"""


@pytest.fixture
def nightly(repo: Path, git: Git) -> Path:
    commit(git, repo, {".github/workflows/nightly.yml": NIGHTLY})
    return repo


def test_list_shows_utc_and_local_times(nightly: Path) -> None:
    result = conveyor(nightly, "schedule", "list", "--now", "2024-05-01T12:00:00Z")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "cron '0 1 * * *' (Asia/Bangkok)" in out
    assert "2024-05-01 18:00 UTC   2024-05-02 01:00 +07" in out
    assert out.count(" UTC") == 10


def test_once_at_fires_due_slots_once(nightly: Path) -> None:
    at = "2024-05-01T18:00:00Z"
    first = conveyor(nightly, "schedule", "run", "--once-at", at)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "fired by 0 1 * * * event=schedule" in first.stdout
    assert "fired by 0 18 * * * event=schedule" in first.stdout
    assert "2 slot(s) fired" in first.stdout
    again = conveyor(nightly, "schedule", "run", "--once-at", at)
    assert "0 slot(s) fired" in again.stdout
    with FiringStore(nightly / ".conveyor") as store:
        assert sorted(f.status for f in store.firings()) == ["success", "success"]


def test_sigterm_stops_the_daemon_cleanly(nightly: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONVEYOR_") or k == NO_AGENT}
    proc = subprocess.Popen(
        [CONVEYOR, "schedule", "run", "--grace", "0s"],
        cwd=nightly,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.time() + 20
        assert proc.stdout is not None
        line = proc.stdout.readline()
        while "watching" not in line and time.time() < deadline:
            line = proc.stdout.readline()
        assert "watching 2 cron(s)" in line
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, out
    assert "stopping" in out and "stopped" in out


SELF_REPORT = """\
name: Nightly report
on:
  schedule:
    - cron: '0 18 * * *'
jobs:
  report:
    runs-on: ubuntu-latest
    steps:
      - run: conveyor runs --format json > "$RUNNER_TEMP/runs.json"
      - shell: python
        run: |
          import json, os
          runs = json.load(open(os.environ["RUNNER_TEMP"] + "/runs.json"))
          assert runs[0]["workflow_name"] == "Nightly report", runs
"""


def test_scheduled_runs_can_call_the_conveyor_that_fires_them(repo: Path, git: Git) -> None:
    commit(git, repo, {".github/workflows/report.yml": SELF_REPORT})
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONVEYOR_") or k == NO_AGENT}
    env.update(CI="true", PATH="/usr/bin:/bin")  # conveyor's own venv is not on PATH
    done = subprocess.run(
        [CONVEYOR, "schedule", "run", "--once-at", "2024-05-01T18:00:00Z"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    with FiringStore(repo / ".conveyor") as store:
        assert [f.status for f in store.firings()] == ["success"], done.stdout
