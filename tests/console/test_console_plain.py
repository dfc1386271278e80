"""The plain console: prefixed lines, step markers, annotations and the run summary."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable

from console_events import T0, F, S, lint_job, run_started, step, unit_job

from conveyor.console import PlainConsole
from conveyor.engine.events import JobFinished, JobStarted, LogLine, RunFinished, StepStarted
from conveyor.engine.status import Conclusion

LINT_LINES = [
    "[lint] job started (Lint) on ubuntu-latest",
    "[lint] ▶ Checkout",
    "[lint] ✓ Checkout (0.3s)",
    "[lint] ▶ Ruff",
    "[lint/Ruff] All checks passed!",
    "[lint] ✓ Ruff (1.2s)",
    "[lint] ✓ job succeeded (2.5s)",
]
UNIT_LINES = [
    "[unit (1)] job started (unit) on ubuntu-latest",
    "[unit (1)] ▶ Checkout",
    "[unit (1)] ✓ Checkout (0.3s)",
    "[unit (1)] ▶ Run tests",
    "[unit (1)/Run tests] collected 5 items",
    "[unit (1)/Run tests] FAILED tests/test_x.py::test_a",
    "[unit (1)/Run tests] error tests/test_x.py:12:5: assert 1 == 2",
    "[unit (1)] ✗ Run tests (exit 1)",
    "[unit (1)] – Upload (skipped)",
    "[unit (1)] cleaning up",
    "[unit (1)] ✗ job failed (4.0s)",
]
SUMMARY = """
── Summary: CI #3 (push on refs/heads/main) ──
job       conclusion  duration  steps  failed step
--------  ----------  --------  -----  ------------------
lint      ✓ success   2.5s      2
unit (1)  ✗ failure   4.0s      3      Run tests (exit 1)

── Step summary: lint / Ruff ──
## Lint
No issues

✗ CI #3 failed in 5.0s: 1 of 2 jobs failed (unit (1))
"""


def _played(scenario: Callable[..., None]) -> list[str]:
    out = io.StringIO()
    console = PlainConsole(out)
    scenario(console)
    console.close()
    return out.getvalue().splitlines()


def test_each_jobs_lines_keep_their_order_and_prefixes(scenario: Callable[..., None]) -> None:
    lines = _played(scenario)
    assert lines[0] == "▶ CI #3 (push on refs/heads/main @ 0123456): .github/workflows/ci.yml"
    assert [line for line in lines if line.startswith("[lint")] == LINT_LINES
    assert [line for line in lines if line.startswith("[unit (1)")] == UNIT_LINES
    # every line is whole: nothing from one thread landed inside another's line
    assert len(lines) == 1 + len(LINT_LINES) + len(UNIT_LINES) + len(SUMMARY.splitlines())


def test_summary_table_step_summary_and_verdict(scenario: Callable[..., None]) -> None:
    lines = _played(scenario)
    body = len(LINT_LINES) + len(UNIT_LINES) + 1
    assert "\n".join(lines[body:]) + "\n" == SUMMARY


def test_each_run_is_summarised_and_close_adds_an_overall_line() -> None:
    out = io.StringIO()
    console = PlainConsole(out)
    for run_id, name in ((1, "CI"), (2, "Docs")):
        console.emit(run_started(run_id, 7, name))
        for event in lint_job(run_id):
            console.emit(event)
        console.emit(RunFinished(run_id, S, T0 + 3.0))
    console.close()
    console.close()  # idempotent
    text = out.getvalue()
    assert "── Summary: CI #7 (push on refs/heads/main) ──" in text
    assert "── Summary: Docs #7 (push on refs/heads/main) ──" in text
    assert "✓ CI #7 succeeded in 3.0s (1 job)" in text
    assert "✓ Docs #7 succeeded in 3.0s (1 job)" in text
    assert text.endswith("\n✓ 2 runs: 2 succeeded\n")


def test_close_summarises_an_unfinished_run() -> None:
    out = io.StringIO()
    console = PlainConsole(out)
    console.emit(run_started())
    for event in unit_job()[:4]:
        console.emit(event)
    console.close()
    lines = out.getvalue().splitlines()
    assert "unit (1)  ? unfinished            1      Run tests (did not finish)" in lines
    assert lines[-1] == "? CI #3 did not finish (1 job)"


def test_step_details_for_timeouts_continue_on_error_and_unknown_steps() -> None:
    out = io.StringIO()
    console = PlainConsole(out)
    console.emit(JobStarted(1, "build", "build", "build", started_at=T0))
    console.emit(StepStarted(1, "build", 0, "Compile", T0))
    console.emit(
        step(1, "build", 0, "Compile", T0, T0 + 60, F, exit_code=None, note="timed out after 1m")
    )
    console.emit(step(1, "build", 1, "Flaky", T0, T0 + 1, F, exit_code=2, conclusion=S))
    console.emit(LogLine(1, "build", 5, "from a step the console never saw start"))
    console.emit(JobFinished(1, "build", Conclusion.TIMED_OUT, T0, T0 + 61))
    console.emit(RunFinished(1, Conclusion.TIMED_OUT, T0 + 62))
    lines = out.getvalue().splitlines()
    assert "[build] ✗ Compile (timed out after 1m)" in lines
    assert "[build] ✗ Flaky (exit 2; continue-on-error)" in lines
    assert "[build/step 6] from a step the console never saw start" in lines
    assert "[build] ✗ job timed out (1m 01s)" in lines
    assert "build  ✗ timed_out  1m 01s    2      Compile (timed out after 1m)" in lines
    assert lines[-1] == "✗ run 1 timed out in 1m 02s: 1 of 1 jobs failed (build)"


def test_ascii_marks_when_the_stream_cannot_encode_unicode() -> None:
    raw = io.BytesIO()
    out = io.TextIOWrapper(raw, encoding="ascii")
    console = PlainConsole(out)
    console.emit(JobStarted(1, "lint", "lint", "lint", started_at=T0))
    console.emit(StepStarted(1, "lint", 0, "Ruff", T0))
    console.emit(step(1, "lint", 0, "Ruff", T0, T0 + 1))
    console.emit(RunFinished(1, S, T0 + 2))
    out.flush()
    text = raw.getvalue().decode("ascii")
    assert "[lint] > Ruff\n[lint] + Ruff (1.0s)\n" in text
    assert "-- Summary: run 1 --" in text


def test_many_threads_never_split_a_line() -> None:
    out = io.StringIO()
    console = PlainConsole(out)
    jobs = [f"job{n}" for n in range(8)]
    for job in jobs:
        console.emit(StepStarted(1, job, 0, "spam", T0))

    def spam(job: str) -> None:
        for number in range(500):
            console.emit(LogLine(1, job, 0, f"line {number}"))

    threads = [threading.Thread(target=spam, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    lines = out.getvalue().splitlines()[len(jobs) :]
    assert len(lines) == 8 * 500
    for job in jobs:
        mine = [line for line in lines if line.startswith(f"[{job}/spam] ")]
        assert mine == [f"[{job}/spam] line {n}" for n in range(500)]
