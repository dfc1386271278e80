"""pytest started by a tier runs through the project's one process runner: in its own
process group, registered, so the sweep that Ctrl-C triggers (``kill_all_process_groups``)
finds and stops it, as it does for workflow steps."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from tiers_helpers import Project

from conveyor.results.db import ResultsDb
from conveyor.runners import kill_all_process_groups, live_process_groups
from conveyor.tiers.config import TierConfig
from conveyor.tiers.runner import RunOptions, TierOutcome, run_tier

SLEEPY = """\
import os, pathlib, time
import pytest

@pytest.mark.unit
def test_sleeps():
    pathlib.Path({marker!r}).write_text(str(os.getpid()))
    time.sleep(60)
"""


def _wait_for(path: Path) -> int:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().strip():
            return int(path.read_text())
        time.sleep(0.05)
    raise AssertionError(f"{path} never appeared")


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state in ("Z", "X")


def test_sweep_stops_a_running_tier(project: Project, tmp_path: Path) -> None:
    marker = tmp_path / "pid"
    project.write("tests/test_sleepy.py", SLEEPY.format(marker=str(marker)))
    options = RunOptions(state_dir=project.state, root=project.root, results_dir=tmp_path / "r")
    outcomes: list[TierOutcome] = []
    with ResultsDb(project.state) as db:
        options.repository_id = db.repository_id("tiers-test", "tiers-test")
        worker = threading.Thread(
            target=lambda: outcomes.append(run_tier("unit", TierConfig(marker="unit"), options, db))
        )
        worker.start()
        pid = _wait_for(marker)
        groups = live_process_groups()
        assert "conveyor test" in groups.values(), groups
        began = time.monotonic()
        assert kill_all_process_groups() >= 1
        worker.join(30)
    assert not worker.is_alive()
    assert time.monotonic() - began < 10
    assert _gone(pid)
    (outcome,) = outcomes
    assert not outcome.ok
