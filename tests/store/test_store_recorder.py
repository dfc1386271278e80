"""SqlRunStore: events in, queries and log lines out."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import replace

import pytest
from sqlalchemy import create_engine, text
from store_events import T0, WORKFLOW, new_run, record_full_run

from conveyor.engine.events import (
    JobFinished,
    JobStarted,
    LogLine,
    RunFinished,
    StepFinished,
    StepStarted,
)
from conveyor.engine.masking import Masker
from conveyor.engine.status import Conclusion
from conveyor.store import SqlRunStore

KEY = "test (3.12, ubuntu-latest)"


def test_full_event_sequence_is_queryable(make_store: Callable[..., SqlRunStore]) -> None:
    store = make_store()
    run_id = record_full_run(store)
    detail = store.get_run(run_id)
    assert detail is not None
    run = detail.run
    assert (run.run_number, run.workflow_path, run.workflow_name) == (1, WORKFLOW, "CI")
    assert (run.event, run.ref, run.sha) == ("push", "refs/heads/main", "abc")
    assert (run.status, run.conclusion, run.display_status) == ("completed", "failure", "failure")
    assert run.started_at == T0 and run.ended_at == T0 + 6 and run.duration == 6.0
    assert run.host and run.pid > 0

    test, deploy = detail.jobs
    assert (test.job_key, test.job_id, test.name) == (KEY, "test", "Test")
    assert test.matrix == {"python": "3.12"} and test.runs_on == ["ubuntu-latest"]
    assert (test.status, test.conclusion, test.duration) == ("completed", "failure", 4.0)
    assert test.outputs == {"coverage": "81"}
    checkout, tests = test.steps
    assert (checkout.index, checkout.name, checkout.conclusion, checkout.exit_code) == (
        0,
        "Check out",
        "success",
        0,
    )
    assert checkout.outputs == {"ref": "main"} and checkout.duration == 1.0
    assert (tests.outcome, tests.conclusion, tests.exit_code, tests.duration) == (
        "failure",
        "failure",
        1,
        3.0,
    )
    assert tests.summary == "## Results\n1 failed" and tests.note == "exit 1"

    assert (deploy.job_key, deploy.conclusion, deploy.note, deploy.steps) == (
        "deploy",
        "skipped",
        "needs test",
        (),
    )
    (note,) = detail.annotations
    assert (note.job_key, note.step_index, note.level, note.message) == (
        KEY,
        1,
        "error",
        note.message,
    )
    assert (note.file, note.line, note.col, note.title) == ("t.py", 3, 5, "Bad")


def texts(lines: list[LogLine]) -> str:
    return "".join(f"{line.text}\n" for line in lines)


def test_log_lines_are_kept_per_step_and_job(make_store: Callable[..., SqlRunStore]) -> None:
    store = make_store()
    run_id = record_full_run(store)
    stored = store.lines(run_id)
    assert {(line.job_key, line.step_index) for line in stored} == {
        (KEY, 0),
        (KEY, 1),
        ("deploy", None),
    }
    assert [line.seq for line in stored] == sorted(line.seq for line in stored)
    assert len({line.seq for line in stored}) == len(stored)
    assert texts(store.lines(run_id, job_key=KEY, step_index=1)) == "collected 3 items\n1 failed\n"
    assert texts(store.lines(run_id, job_key="deploy", job_only=True)) == "skipped: needs test\n"
    # each line keeps its time and stream, for any reader (here another store: a follower)
    step = make_store().lines(run_id, job_key=KEY, step_index=1)
    assert [(line.run_id, line.at, line.stream) for line in step] == [
        (run_id, T0 + 2.5, "stdout"),
        (run_id, T0 + 3, "stderr"),
    ]
    after = make_store().lines(run_id, after_seq=step[0].seq)
    assert [line.seq for line in after] == [line.seq for line in stored if line.seq > step[0].seq]
    assert store.state_dir.joinpath("logs").exists() is False  # no file carries a name


def test_log_lines_are_readable_while_the_step_runs(
    make_store: Callable[..., SqlRunStore],
) -> None:
    store = make_store()
    run_id, _ = store.begin_run(new_run())
    store.emit(StepStarted(run_id, "build", 0, "Compile", T0))
    store.emit(LogLine(run_id, "build", 0, "compiling a.c", T0))
    detail = store.get_run(run_id)
    assert detail is not None
    assert texts(store.lines(run_id, job_key="build", step_index=0)) == "compiling a.c\n"
    assert detail.jobs[0].steps[0].status == "in_progress"


def test_job_keys_that_sanitise_alike_keep_their_own_lines(
    make_store: Callable[..., SqlRunStore],
) -> None:
    store = make_store()
    run_id, _ = store.begin_run(new_run())
    for key in ("a/b", "a b"):
        store.emit(JobStarted(run_id, key, key, key))
        store.emit(LogLine(run_id, key, None, f"from {key}"))
        store.emit(JobFinished(run_id, key, Conclusion.SUCCESS, T0, T0 + 1))
    assert texts(store.lines(run_id, job_key="a/b")) == "from a/b\n"
    assert texts(store.lines(run_id, job_key="a b")) == "from a b\n"


def test_store_masks_again(make_store: Callable[..., SqlRunStore], db_url: str | None) -> None:
    store = make_store(masker=Masker(["hunter2"]))
    run_id = record_full_run(store, secret="hunter2")
    detail = store.get_run(run_id)
    assert detail is not None
    tests = detail.jobs[0].steps[1]
    assert tests.outputs == {"token": "***"}
    assert tests.summary == "## Results\n1 failed ***"
    assert detail.annotations[0].message == "assert failed ***"
    assert "hunter2" not in texts(store.lines(run_id))
    assert "collected 3 items ***" in texts(store.lines(run_id, job_key=KEY, step_index=1))
    engine = create_engine(store.url)
    try:
        with engine.connect() as connection:
            for table in ("steps", "jobs", "annotations", "runs", "log_lines"):
                for row in connection.execute(text(f"SELECT * FROM {table}")):
                    assert "hunter2" not in repr(tuple(row)), table
    finally:
        engine.dispose()


def test_run_numbers_count_per_workflow(make_store: Callable[..., SqlRunStore]) -> None:
    store = make_store()
    numbers = [store.begin_run(new_run(w))[1] for w in ("a.yml", "a.yml", "b.yml", "a.yml")]
    ids = [run.id for run in store.list_runs()]
    assert numbers == [1, 2, 1, 3]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 4


def test_list_runs_filters(make_store: Callable[..., SqlRunStore]) -> None:
    store = make_store()
    failed = record_full_run(store)
    other, _ = store.begin_run(new_run(".github/workflows/release.yaml", "Release"))
    assert [r.id for r in store.list_runs(workflow="CI")] == [failed]
    assert [r.id for r in store.list_runs(workflow="ci.yml")] == [failed]
    assert [r.id for r in store.list_runs(workflow="ci")] == [failed]
    assert [r.id for r in store.list_runs(workflow="release")] == [other]
    assert [r.id for r in store.list_runs(workflow="%")] == []
    assert [r.id for r in store.list_runs(status="failure")] == [failed]
    assert [r.id for r in store.list_runs(status="in_progress")] == [other]
    assert [r.id for r in store.list_runs(limit=1)] == [other]
    assert store.latest_run_id() == other
    assert store.get_run(other + 100) is None


def test_lease_is_renewed_only_by_its_owner(make_store: Callable[..., SqlRunStore]) -> None:
    store = make_store()
    run_id, _ = store.begin_run(replace(new_run(), lease_owner="me", lease_seconds=30))
    before = store.list_runs()[0].heartbeat_at
    assert before is not None
    assert store.renew_lease(run_id, "me", 60) is True
    after = store.list_runs()[0].heartbeat_at
    assert after is not None and after >= before
    assert store.renew_lease(run_id, "someone else", 60) is False
    store.emit(RunFinished(run_id, Conclusion.SUCCESS, T0))
    assert store.renew_lease(run_id, "me", 60) is False  # nothing to hold after the end


def test_emit_is_thread_safe(make_store: Callable[..., SqlRunStore]) -> None:
    store = make_store()
    run_id, _ = store.begin_run(new_run())
    errors: list[BaseException] = []

    def job(n: int) -> None:
        key = f"job{n}"
        try:
            store.emit(JobStarted(run_id, key, key, key, started_at=T0))
            for index in range(3):
                store.emit(StepStarted(run_id, key, index, f"step {index}", T0))
                for line in range(40):
                    store.emit(LogLine(run_id, key, index, f"{key} {index} {line}"))
                store.emit(
                    StepFinished(
                        run_id,
                        key,
                        index,
                        f"step {index}",
                        Conclusion.SUCCESS,
                        Conclusion.SUCCESS,
                        0,
                        T0,
                        T0 + 1,
                        outputs={"n": str(n)},
                    )
                )
            store.emit(JobFinished(run_id, key, Conclusion.SUCCESS, T0, T0 + 3))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=job, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    store.emit(RunFinished(run_id, Conclusion.SUCCESS, T0 + 4))
    assert errors == []
    detail = store.get_run(run_id)
    assert detail is not None and len(detail.jobs) == 8
    for job_info in detail.jobs:
        assert [s.conclusion for s in job_info.steps] == ["success"] * 3
        for step in job_info.steps:
            lines = texts(store.lines(run_id, job_key=job_info.job_key, step_index=step.index))
            assert lines.splitlines() == [f"{job_info.job_key} {step.index} {n}" for n in range(40)]


def test_events_for_an_unknown_run_are_rejected(make_store: Callable[..., SqlRunStore]) -> None:
    from conveyor.engine.events import RunStarted

    store = make_store()
    with pytest.raises(ValueError, match="begin_run"):
        store.emit(RunStarted(999, 1, WORKFLOW, "CI", "push", "", "", T0))


def _commits(store: SqlRunStore) -> Callable[[], int]:
    """The number of write transactions the store commits from now on."""
    before = store.direct.commits
    return lambda: store.direct.commits - before


def test_a_burst_of_step_events_is_written_in_few_transactions(
    make_store: Callable[..., SqlRunStore],
) -> None:
    """A job of many short steps: their events share transactions (not one each), and
    the job's end writes every one of them before itself."""
    store = make_store()
    run_id, _ = store.begin_run(new_run())
    store.emit(JobStarted(run_id, "build", "build", "Build", started_at=T0))
    commits = _commits(store)
    for index in range(100):
        store.emit(StepStarted(run_id, "build", index, f"Step {index}", T0 + index))
        store.emit(
            StepFinished(
                run_id,
                "build",
                index,
                f"Step {index}",
                Conclusion.SUCCESS,
                Conclusion.SUCCESS,
                0,
                T0 + index,
                T0 + index + 0.5,
            )
        )
    store.emit(JobFinished(run_id, "build", Conclusion.SUCCESS, T0, T0 + 100))
    assert 0 < commits() <= 20  # 201 events; one transaction each before
    detail = store.get_run(run_id)
    assert detail is not None
    steps = detail.jobs[0].steps
    assert [step.index for step in steps] == list(range(100))
    assert {step.conclusion for step in steps} == {"success"}


def test_batched_step_events_reach_other_readers_within_a_flush(
    make_store: Callable[..., SqlRunStore],
) -> None:
    """A step that starts in a burst and then runs long is seen by another process's
    reader (a second store here) a fraction of a second later, with no other event."""
    store = make_store()
    run_id, _ = store.begin_run(new_run())
    for index in range(3):
        store.emit(StepStarted(run_id, "build", index, f"Step {index}", T0))
    reader = make_store(recover=False)
    deadline = time.monotonic() + 5
    while True:
        detail = reader.get_run(run_id)
        assert detail is not None
        if detail.jobs and len(detail.jobs[0].steps) == 3:
            break
        assert time.monotonic() < deadline, "the batched step events were never written"
        time.sleep(0.05)
    assert [step.status for step in detail.jobs[0].steps] == ["in_progress"] * 3


def test_a_step_row_written_by_another_store_is_updated_not_inserted_again(
    make_store: Callable[..., SqlRunStore],
) -> None:
    """Rows a store did not create (another process's) are found by query: a burst that
    finishes them updates them, beside new steps inserted in the same transaction."""
    first = make_store()
    run_id, _ = first.begin_run(new_run())
    first.emit(JobStarted(run_id, "build", "build", "Build", started_at=T0))
    first.emit(StepStarted(run_id, "build", 0, "Compile", T0))
    first.lines(run_id)  # written
    second = make_store(recover=False)

    def finished(index: int) -> StepFinished:
        return StepFinished(
            run_id,
            "build",
            index,
            f"s{index}",
            Conclusion.SUCCESS,
            Conclusion.SUCCESS,
            0,
            T0,
            T0 + 2,
        )

    second.emit(finished(0))
    second.emit(StepStarted(run_id, "build", 1, "s1", T0 + 2))
    second.emit(finished(1))
    second.emit(JobFinished(run_id, "build", Conclusion.SUCCESS, T0, T0 + 3))
    detail = second.get_run(run_id)
    assert detail is not None
    assert [(s.index, s.name, s.conclusion) for s in detail.jobs[0].steps] == [
        (0, "s0", "success"),
        (1, "s1", "success"),
    ]
