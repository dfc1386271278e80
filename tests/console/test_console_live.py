"""The rich console: renders runs from several threads, then the summary and verdict."""

from __future__ import annotations

import io
import re
import time
from collections.abc import Callable

from console_events import T0, run_started, unit_job
from rich.console import Console

from conveyor.console import LiveConsole
from conveyor.console.live_view import LiveView, snapshot
from conveyor.console.tracking import RunTracker
from conveyor.engine.events import LogLine

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _terminal() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, force_terminal=True, width=100), out


def test_renders_two_threaded_runs_with_summaries(scenario: Callable[..., None]) -> None:
    console, out = _terminal()
    sink = LiveConsole(console, refresh_per_second=50)
    scenario(sink)
    scenario(sink, run_id=2, number=4, name="Nightly")
    sink.close()
    text = ANSI.sub("", out.getvalue())
    for needle in (
        "lint/Ruff │ All checks passed!",
        "unit (1)/Run tests │ error tests/test_x.py:12:5: assert 1 == 2",
        "unit (1) │ ✗ Run tests (exit 1)",
        "Summary: CI #3 (push on refs/heads/main)",
        "Summary: Nightly #4 (push on refs/heads/main)",
        "Step summary: lint / Ruff",
        "No issues",
        "✗ CI #3 failed in 5.0s: 1 of 2 jobs failed (unit (1))",
        "✗ Nightly #4 failed in 5.0s: 1 of 2 jobs failed (unit (1))",
        "✗ 2 runs: 2 failed",
    ):
        assert needle in text, needle
    table_rows = [line for line in text.splitlines() if line.startswith("│ unit (1)")]
    assert table_rows
    assert all("✗ failure" in row and "Run tests (exit 1)" in row for row in table_rows)


def test_the_ticker_writes_queued_lines_while_a_step_runs() -> None:
    console, out = _terminal()
    sink = LiveConsole(console, refresh_per_second=50)
    sink.emit(run_started())
    for event in unit_job()[:4]:
        sink.emit(event)
    sink.emit(LogLine(1, "unit (1)", 1, "still going " + "x" * 200, T0 + 1))
    deadline = time.monotonic() + 5
    while "still going" not in out.getvalue() and time.monotonic() < deadline:
        time.sleep(0.01)
    text = ANSI.sub("", out.getvalue())
    assert "unit (1)/Run tests │ still going " + "x" * 200 in text  # long lines not cropped
    assert "CI #3  push on refs/heads/main" in text  # the live area
    sink.close()
    assert "? CI #3 did not finish (1 job)" in ANSI.sub("", out.getvalue())


def test_live_view_shows_running_and_finished_jobs() -> None:
    tracker = RunTracker(clock=lambda: 50.0)
    tracker.apply(run_started())
    events = unit_job()
    for event in events[:4]:  # running "Run tests"
        tracker.apply(event)
    view = LiveView(clock=lambda: 62.5)
    view.state = snapshot(tracker)
    console = Console(record=True, width=80, file=io.StringIO())
    console.print(view.render())
    running = console.export_text()
    assert "unit (1)" in running
    assert "Run tests" in running
    assert "12.5s" in running  # since the console saw the job start
    for event in events[4:]:
        tracker.apply(event)
    view.state = snapshot(tracker)
    console.print(view.render())
    finished = console.export_text()
    assert "✗ unit (1) failed at: Run tests" in " ".join(finished.split())
    assert "4.0s" in finished
