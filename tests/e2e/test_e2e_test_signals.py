"""Real ``conveyor test`` processes: Ctrl-C, SIGTERM and kill -9 never orphan pytest, and
the run is recorded as cancelled or interrupted, never as a success."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from e2e_helpers import CONVEYOR, env_for, history, make_repo, pid_gone, wait_for

SLOW_TEST = """
import os
import subprocess
import time

import pytest


@pytest.mark.unit
def test_sleeps():
    child = subprocess.Popen(["sleep", "60"])
    with open({pidfile!r}, "w") as handle:
        handle.write(f"{{os.getpid()}} {{child.pid}}")
    time.sleep(60)
"""

PYTEST_INI = "[pytest]\nmarkers =\n    unit: unit tests\n"


def start_slow_tests(tmp_path: Path) -> tuple[Path, subprocess.Popen[str], list[int]]:
    """A ``conveyor test`` whose only test sleeps: its repo, its process, pytest's pids."""
    pidfile = tmp_path / "pytest.pids"
    repo = make_repo(
        tmp_path / "r",
        {
            "pytest.ini": PYTEST_INI,
            "conveyor.toml": "[tiers.unit]\nmarker = 'unit'\n",
            "tests/test_slow.py": SLOW_TEST.format(pidfile=str(pidfile)),
        },
    )
    proc = subprocess.Popen(
        [CONVEYOR, "test", "--tier", "unit"],
        cwd=repo,
        env=env_for(repo),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    pids = [int(p) for p in wait_for(pidfile, timeout=60).split()]
    return repo, proc, pids


def _conveyor_test_row(repo: Path) -> str:
    rows = [line for line in history(repo).splitlines() if "conveyor test" in line]
    assert len(rows) == 1, history(repo)
    return rows[0]


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_and_sigterm_stop_pytest_exit_130_and_record_cancelled(
    tmp_path: Path, signum: int
) -> None:
    repo, proc, pids = start_slow_tests(tmp_path)
    began = time.time()
    proc.send_signal(signum)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 130, out
    assert time.time() - began < 10
    for pid in pids:
        assert pid_gone(pid), f"pid {pid} outlived conveyor test"
    row = _conveyor_test_row(repo)
    assert "cancelled" in row and "success" not in row


@pytest.mark.slow
def test_kill_9_leaves_no_orphans_and_run_shows_interrupted(tmp_path: Path) -> None:
    repo, proc, pids = start_slow_tests(tmp_path)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=15)
    for pid in pids:
        assert pid_gone(pid, timeout=10), f"pid {pid} outlived a kill -9 of conveyor test"
    row = _conveyor_test_row(repo)
    assert "interrupted" in row and "success" not in row
