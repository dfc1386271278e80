"""Real ``conveyor test`` processes: Ctrl-C, SIGTERM and kill -9 never orphan pytest, and
the run is recorded as cancelled or interrupted, never as a success."""

from __future__ import annotations

import fcntl
import os
import pty
import signal
import subprocess
import termios
import threading
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


def slow_tests_repo(tmp_path: Path) -> tuple[Path, Path]:
    """A repository whose only test sleeps, and the file that test writes pytest's pid and
    its child's pid to."""
    pidfile = tmp_path / "pytest.pids"
    repo = make_repo(
        tmp_path / "r",
        {
            "pytest.ini": PYTEST_INI,
            "conveyor.toml": "[tiers.unit]\nmarker = 'unit'\n",
            "tests/test_slow.py": SLOW_TEST.format(pidfile=str(pidfile)),
        },
    )
    return repo, pidfile


def start_slow_tests(tmp_path: Path) -> tuple[Path, subprocess.Popen[str], list[int]]:
    """A ``conveyor test`` whose only test sleeps: its repo, its process, pytest's pids."""
    repo, pidfile = slow_tests_repo(tmp_path)
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


def _take_the_terminal() -> None:
    """In the child, after ``setsid``: make its stdin (the pty) its controlling terminal."""
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


@pytest.mark.slow
def test_ctrl_c_typed_on_a_terminal_stops_pytest_exit_130_and_records_cancelled(
    tmp_path: Path,
) -> None:
    """Ctrl-C as a user types it: the terminal sends SIGINT to its foreground process group
    (conveyor test, and pytest too if it shares that group), not to one pid."""
    repo, pidfile = slow_tests_repo(tmp_path)
    env = env_for(repo)
    env.pop("CI", None)  # a terminal: the live console
    env.update(TERM="xterm-256color", COLUMNS="160", LINES="50")
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [CONVEYOR, "test", "--tier", "unit"],
        cwd=repo,
        env=env,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        start_new_session=True,
        preexec_fn=_take_the_terminal,  # noqa: PLW1509 (one ioctl; the drain thread starts later)
    )
    os.close(slave)
    chunks: list[bytes] = []

    def drain() -> None:  # conveyor must never block on a full terminal
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the terminal's last writer is gone
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        pids = [int(p) for p in wait_for(pidfile, timeout=60).split()]
        began = time.time()
        os.write(master, b"\x03")  # the terminal's VINTR character
        code = proc.wait(timeout=30)
        reader.join(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    out = b"".join(chunks).decode("utf-8", "replace")
    assert code == 130, out
    assert time.time() - began < 10
    for pid in pids:
        assert pid_gone(pid), f"pid {pid} outlived Ctrl-C on conveyor test"
    row = _conveyor_test_row(repo)
    assert "cancelled" in row and "success" not in row
