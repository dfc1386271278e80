"""Runs with recorded test results, a real HTTP receiver and a real SMTP server."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from conveyor.engine.events import (
    JobFinished,
    JobStarted,
    LogLine,
    RunFinished,
    StepFinished,
    StepStarted,
)
from conveyor.engine.ports import NewRun
from conveyor.engine.status import Conclusion
from conveyor.results.db import ResultsDb
from conveyor.results.ingest import IngestContext, ingest
from conveyor.store.recorder import SqlRunStore
from http_helpers import Receiver, serve_receiver
from state_helpers import run_folder

PASS = (
    '<testcase classname="tests.test_a" name="{name}" file="tests/test_a.py" line="3" time="0.5"/>'
)
FAIL = (
    '<testcase classname="tests.test_a" name="{name}" file="tests/test_a.py" line="{line}" '
    'time="1.0"><failure message="{message}">{body}</failure></testcase>'
)


REPOSITORY_KEY = "github.com/octo/app"  # runs are recorded here; the CLI's scope (conftest)


def junit(path: Path, cases: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        '<?xml version="1.0"?><testsuites><testsuite name="pytest">'
        + "".join(cases)
        + "</testsuite></testsuites>",
        encoding="utf-8",
    )
    return path


def record_run(
    state: Path,
    tiers: dict[str, list[str]],
    *,
    workflow: str = "nightly.yml",
    conclusion: Conclusion | None = None,
    at: float | None = None,
) -> int:
    """A finished run of ``workflow`` with one ingested JUnit file per tier, and the job
    that ran them (one step, ``Run tests``, whose log has a line per tier)."""
    with SqlRunStore(state, recover=False) as store:
        run_id, _ = store.begin_run(
            NewRun(
                workflow,
                "Nightly build",
                "schedule",
                "refs/heads/main",
                "abc123def4567",
                "octo/app",
                1,
                REPOSITORY_KEY,
            )
        )
        failed = any("<failure" in c for cases in tiers.values() for c in cases)
        final = conclusion or (Conclusion.FAILURE if failed else Conclusion.SUCCESS)
        now = time.time()
        store.emit(JobStarted(run_id, "tests", "tests", "Tests"))
        store.emit(StepStarted(run_id, "tests", 0, "Run tests"))
        for tier in tiers:
            store.emit(LogLine(run_id, "tests", 0, f"conveyor test --tier {tier}"))
        code = 0 if final is Conclusion.SUCCESS else 1
        store.emit(StepFinished(run_id, "tests", 0, "Run tests", final, final, code, now, now))
        store.emit(JobFinished(run_id, "tests", final, now, now))
        store.emit(RunFinished(run_id, final, now))
    with ResultsDb(state) as db:
        for tier, cases in tiers.items():
            path = junit(state / "results" / run_folder(state, run_id) / f"{tier}.xml", cases)
            ingest(
                db, [path], IngestContext(tier=tier, run_id=run_id, commit="abc123", recorded_at=at)
            )
    return run_id


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with serve_receiver() as state:
        yield state
