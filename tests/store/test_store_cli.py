"""`conveyor runs`, `show` and `logs` through conveyor.cli.main.main."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from store_events import new_run, record_full_run

from conveyor.cli.main import main
from conveyor.engine.events import JobStarted, LogLine
from conveyor.store import SqlRunStore

KEY = "test (3.12, ubuntu-latest)"


@pytest.fixture
def recorded(
    make_store: Callable[..., SqlRunStore],
    state_dir: Path,
    db_url: str | None,
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[int, int]:
    if db_url:
        monkeypatch.setenv("CONVEYOR_DATABASE_URL", db_url)
    store = make_store()
    finished = record_full_run(store)
    running, _ = store.begin_run(new_run(".github/workflows/nightly.yml", "Nightly"))
    store.emit(JobStarted(running, "scan", "scan", "Scan"))
    store.emit(LogLine(running, "scan", None, "scanning"))
    # a line of a running job may wait up to FLUSH_SECONDS in the writer's batch; reading
    # through the store writes it, so the CLI below (another reader) finds it
    assert [line.text for line in store.lines(running)] == ["scanning"]
    return finished, running


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_runs_table(
    recorded: tuple[int, int], state_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    finished, running = recorded
    code, out, _ = run_cli(capsys, "runs", "--state-dir", str(state_dir))
    assert code == 0
    header, first, second = out.splitlines()
    assert header.split() == [
        "id",
        "#",
        "workflow",
        "event",
        "ref",
        "status",
        "started",
        "duration",
    ]
    assert first.split()[:4] == [str(running), "#1", "Nightly", "push"]
    assert "in_progress" in first
    assert second.split()[:5] == [str(finished), "#1", "CI", "push", "refs/heads/main"]
    assert "failure" in second and "6.0s" in second


def test_runs_json_and_filters(
    recorded: tuple[int, int], state_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    finished, running = recorded
    base = ("runs", "--state-dir", str(state_dir), "--format", "json")
    code, out, _ = run_cli(capsys, *base)
    assert code == 0
    assert [run["id"] for run in json.loads(out)] == [running, finished]
    _, out, _ = run_cli(capsys, *base, "--workflow", "CI")
    assert [run["conclusion"] for run in json.loads(out)] == ["failure"]
    _, out, _ = run_cli(capsys, *base, "--limit", "1")
    assert [run["id"] for run in json.loads(out)] == [running]


def test_show_text(
    recorded: tuple[int, int], state_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    finished, _ = recorded
    code, out, _ = run_cli(capsys, "show", str(finished), "--state-dir", str(state_dir))
    assert code == 0
    assert f"run {finished}  #1  CI" in out
    assert "conclusion failure" in out
    assert f"job {KEY}: failure  4.0s" in out
    assert "outputs: coverage=81" in out
    assert any(
        line.split()[:5] == ["1", "Run", "tests", "failure", "3.0s"] for line in out.splitlines()
    )
    assert "step 0 outputs: ref=main" in out
    assert "step 1 summary:\n    ## Results\n    1 failed" in out
    assert "job deploy: skipped" in out
    assert f"error {KEY}/1 t.py:3:5 Bad: assert failed" in out


def test_show_json(
    recorded: tuple[int, int], state_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    finished, _ = recorded
    code, out, _ = run_cli(
        capsys, "show", "latest", "--state-dir", str(state_dir), "--format", "json"
    )
    assert code == 0
    assert json.loads(out)["run"]["workflow_name"] == "Nightly"
    _, out, _ = run_cli(
        capsys, "show", str(finished), "--state-dir", str(state_dir), "--format", "json"
    )
    data = json.loads(out)
    steps = data["jobs"][0]["steps"]
    assert [(s["index"], s["exit_code"], s["conclusion"]) for s in steps] == [
        (0, 0, "success"),
        (1, 1, "failure"),
    ]
    assert (steps[0]["log_lines"], steps[1]["log_lines"]) == (1, 2)


def test_logs_of_run_job_and_step(
    recorded: tuple[int, int], state_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    finished, running = recorded
    sd = ("--state-dir", str(state_dir))
    code, out, _ = run_cli(capsys, "logs", str(finished), *sd)
    assert code == 0
    assert out == (
        f"=== {KEY}: failure\n"
        "--- step 0: Check out (success)\ncloning\n"
        "--- step 1: Run tests (failure)\ncollected 3 items\n1 failed\n"
        "=== deploy: skipped\nskipped: needs test\n"
    )
    for target in (KEY, "test", "te"):
        _, out, _ = run_cli(capsys, "logs", str(finished), target, *sd)
        assert out.startswith(f"=== {KEY}: failure\n") and "deploy" not in out
    for target in (f"{KEY}/1", "test/1", "test/Run tests", "test/run"):
        code, out, _ = run_cli(capsys, "logs", str(finished), target, *sd)
        assert (code, out) == (0, "collected 3 items\n1 failed\n"), target
    _, out, _ = run_cli(capsys, "logs", str(running), "scan", *sd)
    assert out == "=== scan: in_progress\nscanning\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("logs", "999"), "no run '999'; recent runs:"),
        (("logs", "abc"), "run id"),
        (
            ("logs", "{run}", "nope"),
            "has no job 'nope'; its jobs: test (3.12, ubuntu-latest), deploy",
        ),
        (("logs", "{run}", "test/9"), "step '9' of job 'test (3.12, ubuntu-latest)'"),
        (("logs", "{run}", "test/lint"), "its steps: 0 'Check out', 1 'Run tests'"),
        (("show", "999"), "no run '999'"),
    ],
)
def test_unknown_run_job_step_is_a_user_error(
    recorded: tuple[int, int],
    state_dir: Path,
    capsys: pytest.CaptureFixture[str],
    args: tuple[str, ...],
    message: str,
) -> None:
    finished, _ = recorded
    argv = [a.format(run=finished) for a in args]
    code, _, err = run_cli(capsys, *argv, "--state-dir", str(state_dir))
    assert code == 2
    assert message in err


def test_empty_state_dir_is_not_created(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    state = tmp_path / "nothing"
    code, out, _ = run_cli(capsys, "runs", "--state-dir", str(state))
    assert (code, out) == (0, "no runs recorded yet\n")
    code, out, _ = run_cli(capsys, "runs", "--state-dir", str(state), "--format", "json")
    assert (code, json.loads(out)) == (0, [])
    code, _, err = run_cli(capsys, "show", "1", "--state-dir", str(state))
    assert code == 2 and "no runs recorded yet" in err
    assert not state.exists()


def test_default_state_dir_from_conveyor_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "home"
    with SqlRunStore(home) as store:
        store.begin_run(new_run())
    monkeypatch.setenv("CONVEYOR_HOME", str(home))
    code, out, _ = run_cli(capsys, "runs", "--format", "json")
    assert code == 0 and len(json.loads(out)) == 1


def _record_slashed_steps(store: SqlRunStore) -> int:
    from conveyor.engine.events import JobFinished, RunFinished, StepFinished, StepStarted
    from conveyor.engine.status import Conclusion

    run_id, _ = store.begin_run(new_run())
    names = ["Run actions/checkout@v4", "Run actions/setup-python@v5", "build/test"]
    store.emit(JobStarted(run_id, "ci/lint", "ci/lint", "Lint"))
    for index, name in enumerate(names):
        store.emit(StepStarted(run_id, "ci/lint", index, name))
        store.emit(LogLine(run_id, "ci/lint", index, f"output of step {index}"))
        store.emit(
            StepFinished(
                run_id, "ci/lint", index, name, Conclusion.SUCCESS, Conclusion.SUCCESS, 0, 1.0, 2.0
            )
        )
    store.emit(JobFinished(run_id, "ci/lint", Conclusion.SUCCESS, 1.0, 3.0))
    store.emit(RunFinished(run_id, Conclusion.SUCCESS, 3.0))
    return run_id


def test_logs_steps_by_number_or_by_names_holding_slashes(
    make_store: Callable[..., SqlRunStore],
    state_dir: Path,
    db_url: str | None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    if db_url:
        monkeypatch.setenv("CONVEYOR_DATABASE_URL", db_url)
    run_id = _record_slashed_steps(make_store())
    sd = ("--state-dir", str(state_dir))
    cases = {
        ("ci/lint/0",): 0,
        ("ci/lint/Run actions/checkout@v4",): 0,
        ("ci/lint/run actions/setup",): 1,  # a unique prefix, any case
        ("ci/lint/build/test",): 2,
        ("ci", "--step", "Run actions/setup-python@v5"): 1,
        ("ci/lint", "--step", "2"): 2,
        ("ci/lint", "-s", "build/test"): 2,
    }
    for args, index in cases.items():
        code, out, err = run_cli(capsys, "logs", str(run_id), *args, *sd)
        assert (code, out) == (0, f"output of step {index}\n"), (args, err)
    code, _, err = run_cli(capsys, "logs", str(run_id), "ci/lint/Run actions/nope", *sd)
    assert code == 2 and "step 'Run actions/nope' of job 'ci/lint'" in err
    assert "0 'Run actions/checkout@v4'" in err
    code, out, _ = run_cli(capsys, "logs", "--help")
    assert code == 0 and "--step" in out and "Run actions/checkout@v4" in out


def test_logs_after_gc_say_they_were_removed(
    recorded: tuple[int, int], state_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import time

    finished, _ = recorded
    sd = ("--state-dir", str(state_dir))
    time.sleep(1.1)
    assert run_cli(capsys, "gc", "--older-than", "1s", *sd)[0] == 0
    for args in ((), ("test",), ("test/1",)):
        code, out, err = run_cli(capsys, "logs", str(finished), *args, *sd)
        assert code == 2, args
        assert f"the logs of run {finished} were removed by `conveyor gc` on" in err
        assert "collected" not in out
    assert run_cli(capsys, "show", str(finished), *sd)[0] == 0


def test_logs_of_a_run_without_jobs_says_where_its_results_are(
    make_store: Callable[..., SqlRunStore],
    state_dir: Path,
    db_url: str | None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    if db_url:
        monkeypatch.setenv("CONVEYOR_DATABASE_URL", db_url)
    store = make_store()
    run_id, _ = store.begin_run(new_run("conveyor test", "conveyor test"))
    code, out, err = run_cli(capsys, "logs", str(run_id), "--state-dir", str(state_dir))
    assert code == 2 and out == ""
    assert "recorded no jobs" in err and f"conveyor report {run_id}" in err
