"""Judged against the workflow's own history: ``duration > usual`` alerts (a real local
webhook receiver), and the duration and benchmark trends of the nightly report and
``conveyor stats``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from reporting_helpers import PASS, REPOSITORY_KEY, Receiver, record_run
from sqlalchemy import update

from conveyor.cli.main import main
from conveyor.reporting.build import build_report
from conveyor.reporting.notify import notify_run
from conveyor.reporting.render import render
from conveyor.reporting.rules import RuleError, parse_rule
from conveyor.reporting.settings import NotifySettings
from conveyor.results.db import ResultsDb
from conveyor.results.perf import PerfContext, ingest
from conveyor.store.models import RunRow

GREEN = {"unit": [PASS.format(name="test_ok")]}
FAST = {"attempts": 2, "backoff": 0.01, "max_backoff": 0.02, "timeout": 5}


def _run_taking(state: Path, seconds: float) -> int:
    """A finished nightly run; its duration set to ``seconds`` (the store measures real
    time, and these runs take none)."""
    run_id = record_run(state, GREEN)
    with ResultsDb(state) as db, db.writer.begin() as connection:
        connection.execute(update(RunRow).where(RunRow.id == run_id).values(duration=seconds))
    return run_id


def _notify(state: Path, run_id: int, url: str) -> Any:
    settings = NotifySettings.model_validate(
        {
            "retry": FAST,
            "webhook": {"url": url},
            "policy": "failure",
            "alerts": ["duration > usual"],
        }
    )
    with ResultsDb(state) as db, db.read() as connection:
        return notify_run(connection, settings, run_id)


def test_a_run_longer_than_its_workflow_usually_takes_alerts(
    tmp_path: Path, receiver: Receiver
) -> None:
    for seconds in (600, 620, 590):  # too few runs: nothing is usual yet
        first = _run_taking(tmp_path, seconds)
    assert not _notify(tmp_path, first, receiver.url).decision.send
    for seconds in (610, 605, 615, 598, 602):
        _run_taking(tmp_path, seconds)
    normal = _run_taking(tmp_path, 640)  # a bit slower, within its own spread
    assert not _notify(tmp_path, normal, receiver.url).decision.send
    slow = _run_taking(tmp_path, 900)  # 15 minutes where it takes 10: well under a fixed 60m
    outcome = _notify(tmp_path, slow, receiver.url)
    (reason,) = outcome.decision.reasons
    assert reason.startswith("alert: duration > usual (took 15m 00s; usually 10m 0")
    assert "the median of the last 9 runs" in reason
    (sent,) = receiver.bodies
    assert sent["reasons"] == [reason]
    assert sent["report"]["usual_duration"]["runs"] == 9 and sent["report"]["duration"] == 900
    with ResultsDb(tmp_path) as db, db.read() as connection:
        report = build_report(connection, slow)
    assert report.longer_than_usual
    assert "(usually 10m 0" in render(report, "md") and "longer than usual" in render(report, "md")
    assert "<strong>longer than usual</strong>" in render(report, "html")


def test_rule_syntax() -> None:
    assert parse_rule("duration > usual").usual
    with pytest.raises(RuleError, match="write 'duration > usual'"):
        parse_rule("duration < usual")
    with pytest.raises(RuleError, match="write 'duration > usual'"):
        parse_rule("unit duration > usual")


def test_report_and_stats_show_benchmark_and_duration_trends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    run_id = _run_taking(tmp_path, 300)
    with ResultsDb(tmp_path) as db:
        repository = db.repository_id(REPOSITORY_KEY, "octo/app", None)
        for i in range(36):
            slow = 130.0 if i >= 30 else 100.0 + i % 3
            path = tmp_path / f"b{i}.txt"
            path.write_text(f"render {slow} ms\nparse {50 + i % 2} ms\n")
            ingest(db, [path], PerfContext(None, f"sha{i:02d}", "main", repository))
        with db.read() as connection:
            report = build_report(connection, run_id)
    render_line, parse_line = report.benchmarks
    assert render_line.benchmark == "render" and render_line.verdict == "regression"
    assert render_line.commits == "sha29..sha30" and render_line.change > 0.2
    assert parse_line.verdict == "" and abs(parse_line.change) < 0.05
    md = render(report, "md")
    assert "### 📈 Benchmarks" in md and "| render | 101 ms | 130 ms | +28.7% | regression |" in md
    data = json.loads(render(report, "json"))
    assert data["benchmarks"][0]["commits"] == "sha29..sha30"

    for seconds in (200, 220):  # this week's runs of the workflow: the median moves
        _run_taking(tmp_path, seconds)
    monkeypatch.setenv("CONVEYOR_REPOSITORY", REPOSITORY_KEY)
    assert main(["stats", "--state-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "benchmarks (default branch" in out
    assert "render: 101 -> 130 ms (+28.7%, worse; 36 results)" in out
    assert main(["stats", "--format", "json", "--state-dir", str(tmp_path)]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["benchmarks"][0]["benchmark"] == "render"
    (workflow,) = stats["workflows"]
    assert workflow["median_duration"] == 220
