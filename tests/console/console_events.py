"""A realistic run for the console tests: two jobs emitting from two threads, as the engine does."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

from conveyor.engine.events import (
    Annotation,
    Event,
    JobFinished,
    JobStarted,
    LogLine,
    RunFinished,
    RunStarted,
    StepFinished,
    StepStarted,
)
from conveyor.engine.ports import EventSink
from conveyor.engine.status import Conclusion

T0 = 1_000.0
S = Conclusion.SUCCESS
F = Conclusion.FAILURE


def run_started(run_id: int = 1, number: int = 3, name: str = "CI") -> RunStarted:
    return RunStarted(
        run_id=run_id,
        run_number=number,
        workflow_path=f".github/workflows/{name.lower()}.yml",
        workflow_name=name,
        event="push",
        ref="refs/heads/main",
        sha="0123456789abcdef",
        started_at=T0,
    )


def step(
    run_id: int,
    job: str,
    index: int,
    name: str,
    start: float,
    end: float,
    outcome: Conclusion = S,
    *,
    exit_code: int | None = 0,
    summary: str = "",
    conclusion: Conclusion | None = None,
    note: str = "",
) -> StepFinished:
    return StepFinished(
        run_id=run_id,
        job_key=job,
        step_index=index,
        step_name=name,
        outcome=outcome,
        conclusion=conclusion or outcome,
        exit_code=exit_code,
        started_at=start,
        ended_at=end,
        summary=summary,
        note=note,
    )


def lint_job(run_id: int = 1) -> list[Event]:
    job = "lint"
    return [
        JobStarted(run_id, job, "lint", "Lint", runs_on=("ubuntu-latest",), started_at=T0 + 0.1),
        StepStarted(run_id, job, 0, "Checkout", T0 + 0.1),
        step(run_id, job, 0, "Checkout", T0 + 0.1, T0 + 0.4),
        StepStarted(run_id, job, 1, "Ruff", T0 + 0.4),
        LogLine(run_id, job, 1, "All checks passed!\n", T0 + 1.0),
        step(run_id, job, 1, "Ruff", T0 + 0.4, T0 + 1.6, summary="## Lint\nNo issues\n"),
        JobFinished(run_id, job, S, T0 + 0.1, T0 + 2.6),
    ]


def unit_job(run_id: int = 1) -> list[Event]:
    job = "unit (1)"
    return [
        JobStarted(run_id, job, "unit", "unit", {"shard": 1}, ("ubuntu-latest",), T0 + 0.2),
        StepStarted(run_id, job, 0, "Checkout", T0 + 0.2),
        step(run_id, job, 0, "Checkout", T0 + 0.2, T0 + 0.5),
        StepStarted(run_id, job, 1, "Run tests", T0 + 0.5),
        LogLine(run_id, job, 1, "collected 5 items", T0 + 1.0),
        LogLine(run_id, job, 1, "FAILED tests/test_x.py::test_a", T0 + 2.0, "stderr"),
        Annotation(run_id, job, 1, "error", "assert 1 == 2", "tests/test_x.py", 12, 5),
        step(run_id, job, 1, "Run tests", T0 + 0.5, T0 + 3.0, F, exit_code=1),
        step(run_id, job, 2, "Upload", T0 + 3.0, T0 + 3.0, Conclusion.SKIPPED, exit_code=None),
        LogLine(run_id, job, None, "cleaning up", T0 + 4.1),
        JobFinished(run_id, job, F, T0 + 0.2, T0 + 4.2),
    ]


def run_in_threads(sink: EventSink, *jobs: Sequence[Event]) -> None:
    """Emit each job's events from its own thread, interleaved."""
    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def work(events: Sequence[Event]) -> None:
        try:
            barrier.wait()
            for event in events:
                sink.emit(event)
                time.sleep(0.001)  # let the other job's thread in
        except BaseException as exc:  # surfaced in the test thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(events,)) for events in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors


def play(sink: EventSink, run_id: int = 1, number: int = 3, name: str = "CI") -> None:
    """One run of two jobs; the run fails because ``unit (1)`` fails."""
    sink.emit(run_started(run_id, number, name))
    run_in_threads(sink, lint_job(run_id), unit_job(run_id))
    sink.emit(RunFinished(run_id, F, T0 + 5.0))
