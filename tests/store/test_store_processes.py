"""Several conveyor processes on one store: run numbering and crash recovery."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import create_engine, update
from store_events import WORKFLOW, new_run

from conveyor.engine.lease import LeaseKeeper
from conveyor.store import SqlRunStore
from conveyor.store.models import RunRow
from conveyor.store.paths import database_url
from conveyor.store.recovery import process_alive

HERE = Path(__file__).resolve().parent

NUMBERS_CHILD = textwrap.dedent(
    """
    import json, os, sys, time
    from pathlib import Path
    from store_events import new_run
    from conveyor.store import SqlRunStore

    state, sync, count = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
    while not (sync / "go").exists():
        time.sleep(0.005)
    store = SqlRunStore(state)  # both processes migrate a fresh database at once
    (sync / f"ready-{os.getpid()}").touch()
    while len(list(sync.glob("ready-*"))) < 2:  # then allocate numbers at the same time
        time.sleep(0.005)
    got = [store.begin_run(new_run())[1] for _ in range(count)]
    store.close()
    print(json.dumps(got))
    """
)

HANGING_CHILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from store_events import WORKFLOW, T0, new_run
    from conveyor.engine.events import JobStarted, LogLine, RunStarted, StepStarted
    from conveyor.store import SqlRunStore

    store = SqlRunStore(Path(sys.argv[1]))
    run_id, number = store.begin_run(new_run())
    store.emit(RunStarted(run_id, number, WORKFLOW, "CI", "push", "main", "abc", T0))
    store.emit(JobStarted(run_id, "build", "build", "Build", started_at=T0))
    store.emit(StepStarted(run_id, "build", 0, "Compile", T0))
    store.emit(LogLine(run_id, "build", 0, "compiling"))
    time.sleep(0.5)  # the step runs on: a burst's step events are written within 0.2 s
    print(run_id, flush=True)
    time.sleep(120)
    """
)


def _python(code: str, *args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    env = {**env, "PYTHONPATH": os.pathsep.join([str(HERE), env.get("PYTHONPATH", "")])}
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_concurrent_processes_never_share_a_run_number(
    state_dir: Path, child_env: dict[str, str], db_url: str | None
) -> None:
    sync, count = state_dir.parent / "sync", 40
    sync.mkdir()
    args = (str(state_dir), str(sync), str(count))
    children = [_python(NUMBERS_CHILD, *args, env=child_env) for _ in range(2)]
    time.sleep(0.3)
    (sync / "go").touch()
    numbers: list[int] = []
    for child in children:
        out, err = child.communicate(timeout=120)
        assert child.returncode == 0, err
        numbers.extend(json.loads(out))
    assert sorted(numbers) == list(range(1, 2 * count + 1))
    with SqlRunStore(state_dir, url=db_url, recover=False) as store:
        runs = store.list_runs(limit=None)
    assert sorted(run.run_number for run in runs) == list(range(1, 2 * count + 1))
    assert len({run.id for run in runs}) == 2 * count


def test_killed_run_is_interrupted_and_database_intact(
    make_store: Callable[..., SqlRunStore],
    state_dir: Path,
    child_env: dict[str, str],
    db_url: str | None,
) -> None:
    # A run of a live process (this one) must survive the recovery untouched.
    with SqlRunStore(state_dir, url=db_url) as live_store:
        live_id, _ = live_store.begin_run(new_run(".github/workflows/live.yml"))

    child = _python(HANGING_CHILD, str(state_dir), env=child_env)
    try:
        line = child.stdout.readline() if child.stdout else ""
        assert line.strip().isdigit(), child.stderr.read() if child.stderr else ""
        run_id = int(line)
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        for stream in (child.stdout, child.stderr):
            if stream:
                stream.close()
    assert child.returncode == -signal.SIGKILL

    store = make_store()
    detail = store.get_run(run_id)
    assert detail is not None
    assert (detail.run.status, detail.run.conclusion) == ("completed", "interrupted")
    assert detail.run.display_status == "interrupted" and "kill" in detail.run.note
    (job,) = detail.jobs
    assert (job.status, job.conclusion) == ("completed", "interrupted")
    assert [(s.status, s.conclusion) for s in job.steps] == [("completed", "interrupted")]
    assert job.steps[0].log_lines == 1
    assert [line.text for line in store.lines(run_id)] == ["compiling"]
    live = store.get_run(live_id)
    assert live is not None and live.run.status == "in_progress"
    assert [r.display_status for r in store.list_runs(workflow=WORKFLOW)] == ["interrupted"]

    if db_url is None:
        connection = sqlite3.connect(state_dir / "conveyor.db")
        try:
            assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        finally:
            connection.close()
    # The store keeps working after the crash.
    assert store.begin_run(new_run())[1] == 2


def test_stale_heartbeat_from_another_host_is_interrupted(
    make_store: Callable[..., SqlRunStore], state_dir: Path, db_url: str | None
) -> None:
    first = make_store()
    run_id, _ = first.begin_run(new_run())
    engine = create_engine(database_url(state_dir, db_url))
    try:
        with engine.begin() as connection:
            connection.execute(
                update(RunRow).values(host="elsewhere", heartbeat_at=time.time() - 600)
            )
    finally:
        engine.dispose()
    assert make_store(stale_after=3600, recover=False).recover() == []
    assert make_store(stale_after=60, recover=False).recover() == [run_id]
    detail = make_store().get_run(run_id)
    assert detail is not None and detail.run.conclusion == "interrupted"


def test_a_silent_run_holding_its_lease_is_alive_until_the_lease_runs_out(
    make_store: Callable[..., SqlRunStore], state_dir: Path, db_url: str | None
) -> None:
    """From another host, a run whose last event is hours old but whose lease is current
    (renewed in the background) is not interrupted; once the lease runs out it is."""
    store = make_store()
    run_id, _ = store.begin_run(replace(new_run(), lease_owner="owner", lease_seconds=30))
    now = time.time()
    engine = create_engine(database_url(state_dir, db_url))

    def set_run(**values: object) -> None:
        with engine.begin() as connection:
            connection.execute(update(RunRow).where(RunRow.id == run_id).values(**values))

    try:
        set_run(host="elsewhere", pid=1, created_at=now - 7200, heartbeat_at=now - 7200)
        assert make_store(stale_after=60, recover=False).recover() == []
        set_run(lease_expires_at=now - 1)
        assert make_store(stale_after=3600, recover=False).recover() == [run_id]
    finally:
        engine.dispose()


def test_the_lease_is_renewed_in_the_background_and_lost_to_a_new_owner(
    make_store: Callable[..., SqlRunStore], state_dir: Path, db_url: str | None
) -> None:
    store = make_store()
    run_id, _ = store.begin_run(replace(new_run(), lease_owner="me", lease_seconds=0.6))
    first = store.list_runs()[0].lease_expires_at
    lost = threading.Event()
    keeper = LeaseKeeper(store, run_id, "me", lost.set, seconds=0.6).start()
    try:
        time.sleep(1.0)  # the run emits nothing meanwhile
        renewed = store.list_runs()[0].lease_expires_at
        assert first is not None and renewed is not None and renewed > first + 0.3
        engine = create_engine(database_url(state_dir, db_url))
        try:
            with engine.begin() as connection:  # another process took the run over
                connection.execute(
                    update(RunRow).where(RunRow.id == run_id).values(lease_owner="resumer")
                )
        finally:
            engine.dispose()
        assert lost.wait(5), "the keeper never noticed it lost the lease"
    finally:
        keeper.stop()


def test_process_alive() -> None:
    assert process_alive(os.getpid())
    assert not process_alive(0)
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert not process_alive(child.pid)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_process_started_after_the_run_is_a_reused_pid() -> None:
    assert not process_alive(os.getpid(), not_started_after=time.time() - 3600 * 24 * 365 * 30)
