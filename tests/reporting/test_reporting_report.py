"""`conveyor report`: markdown (nightly format), JSON and HTML (escaped)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from reporting_helpers import FAIL, PASS, REPOSITORY_KEY, record_run

from conveyor.cli.main import main
from conveyor.engine.status import Conclusion
from conveyor.results import quarantine
from conveyor.results.db import ResultsDb
from state_helpers import run_folder


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    monkeypatch.delenv("CONVEYOR_DATABASE_URL", raising=False)
    return tmp_path / "state"


def _nightly(state: Path) -> int:
    return record_run(
        state,
        {
            "integration": [
                PASS.format(name="test_ok"),
                FAIL.format(
                    name="test_schema",
                    line=45,
                    message="AssertionError: Column &lt;new_field&gt; not found",
                    body="E   AssertionError: Column &lt;new_field&gt; not found",
                ),
                FAIL.format(
                    name="test_db", line=12, message="ConnectionRefusedError: refused", body=""
                ),
            ],
            "smoke": [
                PASS.format(name="test_health"),
                FAIL.format(
                    name="test_lambda",
                    line=78,
                    message="TimeoutError: Lambda timeout after 30s",
                    body="",
                ),
            ],
        },
    )


def test_markdown_report_has_the_nightly_sections(
    state: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_id = _nightly(state)
    assert main(["report", str(run_id), "--state-dir", str(state)]) == 0
    text = capsys.readouterr().out
    assert text.startswith("## ❌ Nightly build FAILED")
    assert "branch `main`, sha `abc123def456`" in text and "python 3." in text
    assert "**Tests**: 2 passed, 3 failed, 0 skipped" in text
    assert "| integration | ❌ | 1 | 2 | 0 | 0 |" in text
    assert "| smoke | ❌ | 1 | 1 | 0 | 0 |" in text
    assert "`tests/test_a.py::test_schema` [integration, assertion]" in text
    assert "   - Error: AssertionError: Column <new_field> not found" in text
    assert "   - File: `tests/test_a.py:45`" in text
    folder = run_folder(state, run_id)
    assert f"   - Log: {state.resolve() / 'results' / folder / 'integration.xml'}" in text
    assert "### 🔧 Recommended actions" in text
    for title in ("Infrastructure", "Timeouts", "Assertion failures"):
        assert f"**{title}" in text
    assert f"Logs: `conveyor logs {run_id}`" in text


def test_json_report(state: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_id = _nightly(state)
    assert main(["report", "latest", "--format", "json", "--state-dir", str(state)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["run_id"] == run_id and data["verdict"] == "failed"
    assert data["totals"] == {
        "name": "all",
        "passed": 2,
        "failed": 3,
        "skipped": 0,
        "flaky": 0,
        "quarantined": 0,
        "duration": pytest.approx(4.0),
        "total": 5,
    }
    assert {f["category"] for f in data["failures"]} == {"assertion", "infrastructure", "timeout"}
    assert [r["category"] for r in data["recommendations"]] == [
        "infrastructure",
        "timeout",
        "assertion",
    ]


def test_html_report_is_escaped_and_written_to_step_summary(
    state: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    run_id = _nightly(state)
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    out = tmp_path / "report.html"
    assert (
        main(["report", str(run_id), "--format", "html", "-o", str(out), "--state-dir", str(state)])
        == 0
    )
    html = out.read_text()
    assert "Column &lt;new_field&gt; not found" in html
    assert "<new_field>" not in html
    assert html.startswith("<!DOCTYPE html>") and capsys.readouterr().out == html
    assert "## ❌ Nightly build FAILED" in summary.read_text()  # markdown for the summary


def test_quarantined_failures_do_not_fail_the_verdict(
    state: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_id = record_run(
        state,
        {
            "unit": [
                PASS.format(name="test_ok"),
                FAIL.format(name="test_q", line=3, message="AssertionError: nope", body=""),
            ]
        },
        conclusion=Conclusion.SUCCESS,
    )
    with ResultsDb(state) as db:
        quarantine.add(db, db.repository_id(REPOSITORY_KEY), "tests/test_a.py::test_q")
    assert main(["report", str(run_id), "--format", "json", "--state-dir", str(state)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["verdict"] == "passed"
    assert data["tiers"][0]["failed"] == 0 and data["tiers"][0]["quarantined"] == 1
    assert data["failures"][0]["quarantined"] is True
    assert data["recommendations"] == []


def test_unknown_run_and_bad_spec_exit_2(state: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "latest", "--state-dir", str(state)]) == 2
    assert "no runs recorded yet" in capsys.readouterr().err
    assert main(["report", "99", "--state-dir", str(state)]) == 2
    assert "run 99 not found" in capsys.readouterr().err
    assert main(["report", "abc", "--state-dir", str(state)]) == 2
    assert "not a run id" in capsys.readouterr().err
