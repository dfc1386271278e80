"""Real ``conveyor run`` processes: Ctrl-C, kill -9, and concurrency groups across runs."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from e2e_helpers import history, make_repo, pid_gone, start, wait_for

SLEEPER = """
name: Sleepy
on: push
jobs:
  nap:
    runs-on: ubuntu-latest
    steps:
      - run: |
          echo $$ > "{pidfile}"
          exec sleep 60
"""


def start_sleeper(tmp_path: Path) -> tuple[Path, subprocess.Popen[str], int]:
    """A ``conveyor run`` whose step sleeps: its repo, its process and the sleep's pid."""
    pidfile = tmp_path / "sleep.pid"
    repo = make_repo(tmp_path / "r", {"s.yml": SLEEPER.format(pidfile=pidfile)})
    proc = start(repo)
    return repo, proc, int(wait_for(pidfile))


@pytest.mark.slow
def test_ctrl_c_cancels_kills_children_and_exits_130(tmp_path: Path) -> None:
    repo, proc, sleep_pid = start_sleeper(tmp_path)
    began = time.time()
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=15)
    assert proc.returncode == 130, out
    assert time.time() - began < 5
    assert pid_gone(sleep_pid)
    assert "cancelled" in history(repo)


@pytest.mark.slow
def test_sigterm_also_cancels(tmp_path: Path) -> None:
    _, proc, sleep_pid = start_sleeper(tmp_path)
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=15)
    assert proc.returncode == 130
    assert pid_gone(sleep_pid)


@pytest.mark.slow
def test_kill_9_leaves_no_orphans_and_run_shows_interrupted(tmp_path: Path) -> None:
    repo, proc, sleep_pid = start_sleeper(tmp_path)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=15)
    assert pid_gone(sleep_pid, timeout=5), "the step's sleep outlived conveyor"
    assert "interrupted" in history(repo)


CONCURRENT = """
name: Deploy
on: push
concurrency:
  group: deploy-${{{{ github.ref }}}}
  cancel-in-progress: true
jobs:
  ship:
    runs-on: ubuntu-latest
    steps:
      - run: |
          echo started >> "{marker}"
          sleep {seconds}
          echo finished >> "{marker}"
"""


@pytest.mark.slow
def test_concurrency_cancel_in_progress_across_processes(tmp_path: Path) -> None:
    first_marker, second_marker = tmp_path / "first", tmp_path / "second"
    repo = make_repo(tmp_path / "r", {"d.yml": CONCURRENT.format(marker=first_marker, seconds=30)})
    first = start(repo)
    wait_for(first_marker)
    workflow = repo / ".github" / "workflows" / "d.yml"
    workflow.write_text(CONCURRENT.format(marker=second_marker, seconds=0))
    began = time.time()
    second = start(repo)
    out2, _ = second.communicate(timeout=30)
    out1, _ = first.communicate(timeout=30)
    assert second.returncode == 0, out2
    assert first.returncode == 1, out1
    assert "cancelled" in out1
    assert time.time() - began < 15
    assert first_marker.read_text().split() == ["started"]
    assert second_marker.read_text().split() == ["started", "finished"]


QUEUED = """
name: Queue
on: push
concurrency: {group}
jobs:
  ship:
    runs-on: ubuntu-latest
    steps:
      - run: |
          echo "start $(date +%s.%N)" >> "{marker}"
          sleep 1
          echo "end $(date +%s.%N)" >> "{marker}"
"""


@pytest.mark.slow
def test_concurrency_without_cancel_queues_the_second_run(tmp_path: Path) -> None:
    marker = tmp_path / "log"
    repo = make_repo(tmp_path / "r", {"q.yml": QUEUED.format(group="solo", marker=marker)})
    first = start(repo)
    wait_for(marker)
    second = start(repo)
    assert second.wait(timeout=30) == 0
    assert first.wait(timeout=30) == 0
    events = [line.split() for line in marker.read_text().splitlines()]
    assert [e[0] for e in events] == ["start", "end", "start", "end"]
    assert float(events[2][1]) >= float(events[1][1])
    subprocess.run(["true"], check=True)
