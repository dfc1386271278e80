"""Event sequences shared by the store tests."""

from __future__ import annotations

import os

from conveyor.engine.events import (
    Annotation,
    JobFinished,
    JobStarted,
    LogLine,
    RunFinished,
    RunStarted,
    StepFinished,
    StepStarted,
)
from conveyor.engine.ports import NewRun
from conveyor.engine.status import Conclusion
from conveyor.store import SqlRunStore

WORKFLOW = ".github/workflows/ci.yml"
T0 = 1_700_000_000.0
REPOSITORY_KEY = "github.com/acme/widgets"  # the tests' CLI scope ($CONVEYOR_REPOSITORY)


def new_run(
    workflow: str = WORKFLOW,
    name: str = "CI",
    pid: int | None = None,
    repository_key: str = REPOSITORY_KEY,
) -> NewRun:
    return NewRun(
        workflow_path=workflow,
        workflow_name=name,
        event="push",
        ref="refs/heads/main",
        sha="0123456789abcdef0123456789abcdef01234567",
        repository=repository_key.split("/", 1)[-1],
        pid=os.getpid() if pid is None else pid,
        repository_key=repository_key,
        repository_url=f"https://{repository_key}.git",
    )


def record_full_run(store: SqlRunStore, secret: str = "") -> int:
    """A run with a matrix job of two steps (one failing), a skipped job, an annotation."""
    run_id, number = store.begin_run(new_run())
    key = "test (3.12, ubuntu-latest)"
    store.emit(RunStarted(run_id, number, WORKFLOW, "CI", "push", "refs/heads/main", "abc", T0))
    store.emit(
        JobStarted(run_id, key, "test", "Test", {"python": "3.12"}, ("ubuntu-latest",), T0 + 1)
    )
    store.emit(StepStarted(run_id, key, 0, "Check out", T0 + 1))
    store.emit(LogLine(run_id, key, 0, "cloning", T0 + 1.1))
    store.emit(
        StepFinished(
            run_id,
            key,
            0,
            "Check out",
            Conclusion.SUCCESS,
            Conclusion.SUCCESS,
            0,
            T0 + 1,
            T0 + 2,
            outputs={"ref": "main"},
        )
    )
    store.emit(StepStarted(run_id, key, 1, "Run tests", T0 + 2))
    store.emit(LogLine(run_id, key, 1, f"collected 3 items {secret}".strip(), T0 + 2.5))
    store.emit(LogLine(run_id, key, 1, "1 failed", T0 + 3, stream="stderr"))
    store.emit(
        Annotation(run_id, key, 1, "error", f"assert failed {secret}".strip(), "t.py", 3, 5, "Bad")
    )
    store.emit(
        StepFinished(
            run_id,
            key,
            1,
            "Run tests",
            Conclusion.FAILURE,
            Conclusion.FAILURE,
            1,
            T0 + 2,
            T0 + 5,
            outputs={"token": secret or "none"},
            summary=f"## Results\n1 failed {secret}".strip(),
            note="exit 1",
        )
    )
    store.emit(JobFinished(run_id, key, Conclusion.FAILURE, T0 + 1, T0 + 5, {"coverage": "81"}))
    store.emit(LogLine(run_id, "deploy", None, "skipped: needs test", T0 + 5))
    store.emit(JobFinished(run_id, "deploy", Conclusion.SKIPPED, 0.0, T0 + 5, note="needs test"))
    store.emit(RunFinished(run_id, Conclusion.FAILURE, T0 + 6))
    return run_id
