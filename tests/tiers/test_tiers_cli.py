"""`conveyor test` on real pytest projects: tiers, exit codes, retries, quarantine, shards."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from sqlalchemy import Connection, insert, select
from tiers_helpers import FAILING, FLAKY, GREEN, Project

from conveyor.actions.registry import find_builtin
from conveyor.engine.masking import Masker
from conveyor.engine.ports import ActionContext, CommandAnnotation
from conveyor.git import repository_identity
from conveyor.results import quarantine
from conveyor.results.db import ResultsDb
from conveyor.store.models import RunRow
from conveyor.store.results_models import RESULTS
from state_helpers import run_folder


def _rows(state: Path) -> dict[str, tuple[str, str, int | None]]:
    with ResultsDb(state) as db, db.read() as connection:
        rows = connection.execute(
            select(RESULTS.c.test_id, RESULTS.c.status, RESULTS.c.tier, RESULTS.c.run_id)
        ).all()
    return {str(r.test_id): (str(r.status), str(r.tier), r.run_id) for r in rows}


def test_green_tier_exits_0_and_prints_the_table(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.write("tests/test_unit.py", GREEN)
    assert project.conveyor("test", "--tier", "unit") == 0
    out = capsys.readouterr().out
    assert "tier  result  passed  failed  skipped  flaky  quarantined  duration" in out
    assert any(line.startswith("unit  ok") and " 2 " in line for line in out.splitlines())
    rows = _rows(project.state)
    assert rows["tests/test_unit.py::test_one"][:2] == ("passed", "unit")
    assert rows["tests/test_unit.py::test_skipped"][0] == "skipped"
    report = project.state / "results" / run_folder(project.state, 1) / "report.md"
    assert "conveyor test PASSED" in report.read_text()


def test_failing_tier_exits_1_and_every_tier_runs(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.write("tests/test_unit.py", GREEN)
    project.write("tests/test_integration.py", FAILING)
    assert project.conveyor("test") == 1
    out = capsys.readouterr().out
    lines = {line.split()[0]: line for line in out.splitlines() if line.strip()}
    assert "FAILED" in lines["integration"] and "ok" in lines["unit"]
    assert "no tests selected" in lines["e2e"]
    rows = _rows(project.state)
    assert rows["tests/test_integration.py::test_rows"][0] == "failed"
    assert rows["tests/test_integration.py::test_db_connection"][1] == "integration"
    # the conveyor run recorded for the session is the report's run
    assert project.conveyor("report", "latest", "--format", "json") == 0
    data = json.loads(capsys.readouterr().out)
    assert data["verdict"] == "failed"
    assert data["workflow"] == "conveyor test"
    by_test = {f["test_id"]: f for f in data["failures"]}
    failure = by_test["tests/test_integration.py::test_db_connection"]
    assert failure["category"] == "infrastructure"
    assert failure["location"] == "tests/test_integration.py:3"  # the decorator line, from 1
    assert by_test["tests/test_integration.py::test_rows"]["category"] == "assertion"


def test_retries_turn_a_fail_then_pass_into_flaky(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.write("tests/test_smoke.py", FLAKY)
    assert project.conveyor("test", "--tier", "smoke") == 1  # no retries: it fails
    project.root.joinpath("tests/flaky_counter.txt").unlink()
    assert project.conveyor("test", "--tier", "smoke", "--retries", "2") == 0
    out = capsys.readouterr().out
    smoke = [line for line in out.splitlines() if line.startswith("smoke")][-1].split()
    assert smoke[:7] == ["smoke", "ok", "1", "0", "0", "1", "0"]
    with ResultsDb(project.state) as db, db.read() as connection:
        statuses = connection.execute(
            select(RESULTS.c.run_id, RESULTS.c.status, RESULTS.c.retries)
            .where(RESULTS.c.test_id == "tests/test_smoke.py::test_sometimes")
            .order_by(RESULTS.c.id)
        ).all()
    assert [(s.status, s.retries) for s in statuses] == [("failed", 0), ("flaky", 1)]
    folder = run_folder(project.state, statuses[1].run_id)
    retried = project.state / "results" / folder / "smoke.retry1.xml"
    assert "test_sometimes" in retried.read_text() and "test_always_ok" not in retried.read_text()


def test_quarantined_failures_run_but_do_not_fail_the_tier(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.write("tests/test_integration.py", FAILING)
    with ResultsDb(project.state) as db:
        repository = repository_identity(project.root)  # the project's, as `conveyor test` sees it
        repository_id = db.repository_id(repository.key, repository.name)
        quarantine.add(
            db, repository_id, "tests/test_integration.py::test_db_connection", "flaky infra"
        )
        quarantine.add(db, repository_id, "tests/test_integration.py::test_rows", "known bug")
    assert project.conveyor("test", "-t", "integration") == 0
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if x.startswith("integration"))
    assert line.split()[:7] == ["integration", "ok", "1", "0", "0", "0", "2"]
    assert project.conveyor("report", "latest") == 0
    report = capsys.readouterr().out
    assert "PASSED" in report and "(quarantined)" in report


def test_shards_split_the_tier_between_them(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.write("tests/test_unit.py", GREEN)
    project.write("tests/test_more.py", GREEN.replace("test_one", "test_three"))
    seen: set[str] = set()
    for index in (1, 2):  # two machines with the same (empty) history
        state = project.state.parent / f"machine{index}"
        monkeypatch.setenv("CONVEYOR_HOME", str(state))
        assert project.conveyor("test", "-t", "unit", "--shard", f"{index}/2") == 0
        mine = set(_rows(state))
        assert len(mine) == 3 and not (mine & seen)
        seen |= mine
    assert len(seen) == 6


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--shard", "3/2"], "INDEX must be 1..2"),
        (["--shard", "two"], "expected INDEX/COUNT"),
        (["--tier", "nope"], "unknown tier nope"),
    ],
)
def test_bad_arguments_exit_2(
    project: Project, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert project.conveyor("test", *args) == 2
    assert message in capsys.readouterr().err


def test_bad_config_exits_2_with_file_and_line(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    path = project.write("conveyor.toml", "[tiers.unit]\nmarkr = 'unit'\n")
    assert project.conveyor("test") == 2
    assert f"{path}:2: tiers.unit.markr: unknown key 'markr'" in capsys.readouterr().err


def test_tier_timeout_is_a_timeout_failure(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.write("conveyor.toml", "[tiers.e2e]\ntimeout = '1s'\n")
    project.write(
        "tests/test_slow.py",
        "import time, pytest\n\n@pytest.mark.e2e\ndef test_slow():\n    time.sleep(30)\n",
    )
    assert project.conveyor("test", "-t", "e2e") == 1
    assert "timed out after 1s" in capsys.readouterr().out
    assert project.conveyor("report", "latest", "--format", "json") == 0
    data = json.loads(capsys.readouterr().out)
    assert [f["category"] for f in data["failures"]] == ["timeout"]


def test_extra_pytest_args_after_double_dash(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.write("tests/test_unit.py", GREEN)
    assert project.conveyor("test", "-t", "unit", "--", "-k", "test_two") == 0
    rows = _rows(project.state)
    assert "tests/test_unit.py::test_two" in rows and "tests/test_unit.py::test_one" not in rows


class _Output:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.annotations: list[CommandAnnotation] = []

    def line(self, text: str, stream: str = "stdout") -> None:
        self.lines.append(text)

    def annotation(self, annotation: CommandAnnotation) -> None:
        self.annotations.append(annotation)


def _context(project: Project, inputs: dict[str, str], run_id: int) -> ActionContext:
    return ActionContext(
        inputs=inputs,
        workspace=project.root,
        repository_root=project.root,
        state_dir=project.state,
        env={},
        github={},
        run_id=run_id,
        job_key="tests",
        output=_Output(),
        masker=Masker(),
        cancel=threading.Event(),
    )


def _record_runs(project: Project, *ids: int) -> None:
    """The runs the action's steps belong to (conveyor records them before any step)."""
    with ResultsDb(project.state) as db:
        repository_id = db.repository_id(repository_identity(project.root).key)
        with db.writer.begin() as connection:
            _insert_runs(connection, repository_id, ids)


def _insert_runs(connection: Connection, repository_id: int, ids: tuple[int, ...]) -> None:
    for run_id in ids:
        connection.execute(
            insert(RunRow).values(
                id=run_id,
                repository_id=repository_id,
                run_number=run_id,
                workflow_path=".github/workflows/ci.yml",
                workflow_name="CI",
                event="push",
                ref="refs/heads/main",
                sha="",
                repository="local/proj",
                status="in_progress",
                created_at=1e9,
                pid=0,
                host="",
                note="",
            )
        )


def test_builtin_action_runs_tiers_linked_to_the_step_run(project: Project) -> None:
    _record_runs(project, 41, 42, 43)
    project.write("tests/test_unit.py", GREEN)
    project.write("tests/test_smoke.py", FLAKY)
    action = find_builtin("conveyor/test")
    assert action is not None
    result = action(_context(project, {"tier": "unit, smoke", "retries": "1"}, run_id=41))
    assert result.ok, result.message
    assert result.outputs["passed"] == "3" and result.outputs["flaky"] == "1"
    assert result.outputs["skipped"] == "1" and result.outputs["failed"] == "0"
    assert Path(result.outputs["report"]).read_text().count("test_sometimes") == 1
    assert result.summary == Path(result.outputs["report"]).read_text()  # shown as step summary
    assert {run for _s, _t, run in _rows(project.state).values()} == {41}

    project.write("tests/test_integration.py", FAILING)
    failed = action(_context(project, {"tier": "integration", "maxfail": "1"}, run_id=42))
    assert not failed.ok and "integration" in failed.message
    assert failed.outputs["failed"] == "1"  # --maxfail 1 stopped after the first failure
    assert "integration" in failed.summary
    bad = action(_context(project, {"shard": "0/2"}, run_id=43))
    assert not bad.ok and "shard" in bad.message


def test_builtin_action_whose_tier_ran_no_tests_reports_failed(project: Project) -> None:
    """The step fails (the tier was asked for and ran nothing): its summary and kept
    report, written while the run is still in progress, must not say PASSED."""
    _record_runs(project, 44)
    action = find_builtin("conveyor/test")
    assert action is not None
    result = action(_context(project, {"tier": "unit"}, run_id=44))
    assert not result.ok and "no tests ran" in result.message
    assert "PASSED" not in result.summary and "FAILED" in result.summary, result.summary
    assert "| unit | no tests ran |" in result.summary
    assert "PASSED" not in Path(result.outputs["report"]).read_text()


def test_report_gives_the_tiers_wall_time_with_the_test_time_beside_it(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.write(
        "tests/test_slow_import.py",
        "import time\nimport pytest\n\ntime.sleep(1.0)  # slow collection, fast tests\n\n"
        "@pytest.mark.unit\ndef test_quick():\n    pass\n",
    )
    assert project.conveyor("test", "-t", "unit") == 0
    capsys.readouterr()
    assert project.conveyor("report", "latest", "--format", "json") == 0
    (tier,) = json.loads(capsys.readouterr().out)["tiers"]
    assert tier["duration"] >= 1.0 and tier["test_time"] < 0.5
    assert project.conveyor("report", "latest") == 0
    md = capsys.readouterr().out
    assert "| Duration | Test time |" in md
    row = next(line for line in md.splitlines() if line.startswith("| unit |"))
    wall, tests = (cell.strip() for cell in row.strip("|").split("|")[-2:])
    assert wall.startswith(("1.", "2.", "3.")) and wall.endswith("s") and tests == "0.0s"


def test_no_tests_collected_reports_no_tests_ran_and_exits_5(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    assert project.conveyor("test") == 5  # a repository without tests, every tier
    captured = capsys.readouterr()
    lines = {line.split()[0]: line for line in captured.out.splitlines() if line.strip()}
    assert "NO TESTS" in lines["unit"] and "no tests ran" in lines["unit"]
    assert "no tests ran in tier(s) unit, mocked, integration, smoke, e2e" in captured.err
    assert project.conveyor("report", "latest") == 0
    report = capsys.readouterr().out
    assert "FAILED" in report and "**Tests**: no tests ran" in report
    assert "| unit | no tests ran |" in report
    assert project.conveyor("runs", "--format", "json") == 0
    assert json.loads(capsys.readouterr().out)[0]["conclusion"] == "failure"
    (kept,) = project.state.glob("results/*/report.md")  # written before the run finished
    assert kept.read_text().startswith("## ❌ conveyor test FAILED"), kept.read_text()

    project.write(
        "tests/test_integration.py",
        "import pytest\n\n@pytest.mark.integration\ndef test_ok():\n    pass\n",
    )
    assert project.conveyor("test", "--tier", "unit") == 5  # asked for by name, empty
    assert project.conveyor("test") == 0  # other tiers ran tests: the empty ones are noted
    assert "no tests ran" in capsys.readouterr().out


def test_allow_empty_is_configured_per_tier(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.write("tests/test_unit.py", GREEN)
    project.write("conveyor.toml", "[tiers.smoke]\nallow_empty = true\n")
    assert project.conveyor("test", "--tier", "smoke") == 0
    project.write("conveyor.toml", "[tiers.e2e]\nallow_empty = false\n")
    assert project.conveyor("test") == 5  # unit passed, but e2e must run tests
    assert "no tests ran in tier(s) e2e;" in capsys.readouterr().err
    project.write("tests/test_integration.py", FAILING)
    assert project.conveyor("test") == 1  # a failure wins over an empty tier
