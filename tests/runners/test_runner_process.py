"""Process groups, timeouts, cancellation, leftover background processes."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from pathlib import Path

from conveyor.engine.masking import Masker
from conveyor.engine.ports import StepRequest
from conveyor.runners import (
    LocalStepRunner,
    groups,
    kill_all_process_groups,
    live_process_groups,
)


def _wait_for_file(path: Path, within: float = 5.0) -> str:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().strip():
            return path.read_text().strip()
        time.sleep(0.01)
    raise AssertionError(f"{path} was never written")


def test_step_runs_in_its_own_process_group_and_session(run) -> None:
    _result, rec = run("ps -o pgid= -o sid= -p $$; echo $$")
    pgid, sid = rec.texts()[0].split()
    assert pgid == sid == rec.texts()[1]
    assert int(pgid) != os.getpgrp()


def test_timeout_kills_the_step_and_its_children(run, tmp_path: Path, process_gone) -> None:
    pidfile = tmp_path / "child.pid"
    script = f"sleep 60 &\necho $! > {pidfile}\nsleep 60\n"
    start = time.monotonic()
    result, _ = run(script, timeout=0.5)
    elapsed = time.monotonic() - start
    assert result.timed_out
    assert not result.cancelled
    assert not result.succeeded
    assert result.exit_code == 128 + 15
    assert elapsed < 3.0
    assert process_gone(int(pidfile.read_text()))


def test_sigterm_ignored_escalates_to_sigkill(tmp_path: Path, process_gone) -> None:
    runner = LocalStepRunner(kill_grace=0.3)
    pidfile = tmp_path / "pid"
    script = f"trap '' TERM\necho $$ > {pidfile}\nwhile true; do sleep 0.05; done"
    request = StepRequest(
        name="stubborn", working_directory=tmp_path, env={}, script=script, timeout_seconds=0.3
    )
    start = time.monotonic()
    result = runner.run(request, _Null(), Masker(), threading.Event())
    assert result.timed_out
    assert result.exit_code == 128 + 9
    assert time.monotonic() - start < 2.0
    assert process_gone(int(pidfile.read_text()))


def test_cancel_from_another_thread(run, tmp_path: Path, process_gone) -> None:
    pidfile = tmp_path / "child.pid"
    cancel = threading.Event()

    def cancel_soon() -> None:
        _wait_for_file(pidfile)
        cancel.set()

    thread = threading.Thread(target=cancel_soon)
    thread.start()
    start = time.monotonic()
    result, _ = run(f"sleep 60 &\necho $! > {pidfile}\nwait", cancel=cancel)
    thread.join()
    assert result.cancelled
    assert not result.timed_out
    assert not result.succeeded
    assert time.monotonic() - start < 3.0
    assert process_gone(int(pidfile.read_text()))


def test_cancel_set_before_start_runs_nothing(run, tmp_path: Path) -> None:
    cancel = threading.Event()
    cancel.set()
    marker = tmp_path / "ran"
    result, _ = run(f"touch {marker}", cancel=cancel)
    assert result.cancelled
    assert result.exit_code is None
    assert not marker.exists()


def test_background_child_holding_output_is_killed(run, tmp_path: Path, process_gone) -> None:
    pidfile = tmp_path / "bg.pid"
    start = time.monotonic()
    result, rec = run(f"sleep 100 &\necho $! > {pidfile}\necho leader done")
    assert time.monotonic() - start < 3.0
    assert result.succeeded
    assert "leader done" in rec.texts("stdout")
    assert any("background processes" in t for t in rec.texts("stderr"))
    assert process_gone(int(pidfile.read_text()))


def test_background_child_with_redirected_output_survives_until_kill_all(
    run, tmp_path: Path, process_gone
) -> None:
    pidfile = tmp_path / "bg.pid"
    result, rec = run(f"sleep 100 > /dev/null 2>&1 &\necho $! > {pidfile}")
    assert result.succeeded
    assert rec.texts() == []
    pid = int(pidfile.read_text())
    assert not process_gone(pid, within=0.2)
    assert "test step" in live_process_groups().values()
    assert kill_all_process_groups(grace_seconds=1.0) >= 1
    assert process_gone(pid)
    assert live_process_groups() == {}


def test_kill_all_process_groups_stops_running_steps(run, tmp_path: Path) -> None:
    pidfile = tmp_path / "pid"

    def interrupt() -> None:
        _wait_for_file(pidfile)
        kill_all_process_groups(grace_seconds=1.0)

    thread = threading.Thread(target=interrupt)
    thread.start()
    start = time.monotonic()
    result, _ = run(f"echo $$ > {pidfile}\nsleep 60")
    thread.join()
    assert time.monotonic() - start < 3.0
    assert result.exit_code == 128 + 15


def test_finished_steps_leave_no_registered_groups(run) -> None:
    for _ in range(3):
        run("true")
    assert live_process_groups() == {}


class _Null:
    def line(self, text: str, stream: str = "stdout") -> None:
        pass

    def annotation(self, annotation: object) -> None:
        pass


def test_leader_that_closes_its_output_early_is_still_waited_for(run) -> None:
    start = time.monotonic()
    result, rec = run("echo first\nexec >/dev/null 2>&1\nsleep 0.3\nexit 3")
    assert time.monotonic() - start >= 0.3
    assert result.exit_code == 3
    assert rec.texts() == ["first"]


def test_many_lines_arrive_complete_and_in_order(run) -> None:
    result, rec = run("for i in range(20000): print(i)", shell="python")
    assert result.succeeded
    assert rec.texts() == [str(i) for i in range(20000)]


def test_not_executable_command_is_a_start_error(run, tmp_path: Path) -> None:
    tool = tmp_path / "tool"
    tool.write_text("#!/bin/sh\n")
    result, _ = run(argv=[str(tool)])
    assert result.exit_code is None
    assert "is not executable" in result.error


def test_kill_all_during_start_is_noticed_by_register() -> None:
    since = groups.generation()
    proc = subprocess.Popen(["sleep", "30"], start_new_session=True)
    try:
        kill_all_process_groups(grace_seconds=0.0)  # runs before the group is registered
        assert groups.register(proc.pid, "late", since) is False
        assert groups.register(proc.pid, "late", groups.generation()) is True
    finally:
        groups.unregister(proc.pid)
        proc.kill()
        proc.wait()


def test_an_error_taking_a_line_is_raised_in_the_step_thread_after_the_output_drains(
    tmp_path: Path,
) -> None:
    """``feed`` failing (the history database gone) in the output thread: the step's
    later output (1 MiB, more than a pipe holds) is drained so the step ends, and the
    error is raised by ``run_process`` in the caller's thread, not printed by the thread."""
    from conveyor.runners.process import Limits, run_process

    taken: list[str] = []

    def feed(line: str, stream: str) -> None:
        if line == "boom":
            raise RuntimeError("the database is gone")
        taken.append(line)

    script = "echo before; echo boom; head -c 1048576 /dev/zero | tr '\\0' x; echo; echo done"
    errors: list[BaseException] = []

    def thread_error(args: threading.ExceptHookArgs) -> None:
        errors.append(args.exc_value or RuntimeError())

    previous, threading.excepthook = threading.excepthook, thread_error
    try:
        started = time.monotonic()
        try:
            run_process(
                ["bash", "-c", script],
                cwd=tmp_path,
                env=dict(os.environ),
                feed=feed,
                cancel=threading.Event(),
                limits=Limits(timeout=30),
            )
        except RuntimeError as exc:
            assert str(exc) == "the database is gone"
        else:
            raise AssertionError("the feed's error was not raised")
    finally:
        threading.excepthook = previous
    assert time.monotonic() - started < 10
    assert taken == ["before"] and errors == []
