"""quarantine, flaky --auto-quarantine, stats (text/json/prometheus) through the CLI."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from results_helpers import FIXTURES, TEST_REPOSITORY, in_repo
from sqlalchemy import insert

from conveyor.cli.main import main
from conveyor.results.db import ResultsDb
from conveyor.results.ingest import ingest
from conveyor.results.prometheus import escape_label
from conveyor.results.quarantine import is_quarantined
from conveyor.store.models import RunRow


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().out


def test_quarantine_cli_and_api(
    state_dir: Path, db_url: str | None, cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    sd = ("--state-dir", str(state_dir))
    assert _run(capsys, "quarantine", "add", "t::a", "--reason", "bug 12", *sd) == (
        0,
        "quarantined t::a\n",
    )
    assert _run(capsys, "quarantine", "add", "t::a", *sd)[1] == "t::a was already quarantined\n"
    code, out = _run(capsys, "quarantine", "list", "--format", "json", *sd)
    assert code == 0 and [(e["test_id"], e["reason"]) for e in json.loads(out)] == [
        ("t::a", "bug 12")
    ]
    assert is_quarantined(
        ["t::a", "t::b"], TEST_REPOSITORY, state_dir=str(state_dir), url=db_url
    ) == {"t::a"}
    assert _run(capsys, "quarantine", "remove", "t::a", *sd) == (0, "released t::a\n")
    assert main(["quarantine", "remove", "t::a", *sd]) == 2
    assert _run(capsys, "quarantine", "list", *sd)[1] == "no quarantined tests\n"


def test_flaky_auto_quarantine(
    make_db: Callable[[], ResultsDb],
    state_dir: Path,
    cli_env: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db = make_db()
    for commit in ("c1", "c2"):
        ingest(db, [FIXTURES / "gotestsum.xml"], in_repo(db, commit=commit))
    code, out = _run(
        capsys, "flaky", "--auto-quarantine", "2", "--format", "json", "--state-dir", str(state_dir)
    )
    data = json.loads(out)
    assert code == 0
    ids = {f["test_id"]: f for f in data["flaky"]}
    assert ids["example.com/shop/api::TestCheckout"]["flaky_commits"] == 2
    assert data["quarantined"] == ["example.com/shop/api::TestCheckout"]
    assert "TestCheckout" in _run(capsys, "quarantine", "list", "--state-dir", str(state_dir))[1]


def _seed_stats(db: ResultsDb) -> None:
    now = time.time()
    rows = []
    for i in range(20):
        rows.append(
            {
                "repository_id": db.repository_id(TEST_REPOSITORY),
                "run_number": i + 1,
                "workflow_path": ".github/workflows/nightly.yml",
                "workflow_name": 'Nightly "full"',
                "event": "schedule",
                "status": "completed",
                "conclusion": "success" if i < 19 else "failure",
                "created_at": now - 3600 * i,
                "duration": 1000.0 + i * 100,
            }
        )
    with db.writer.begin() as connection:
        connection.execute(insert(RunRow), rows)
    ingest(db, [FIXTURES / "surefire.xml"], in_repo(db, tier="integration", commit="c"))
    ingest(db, [FIXTURES / "jest_junit.xml"], in_repo(db, tier="unit", commit="c"))


def test_stats_formats(
    make_db: Callable[[], ResultsDb],
    state_dir: Path,
    cli_env: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _seed_stats(make_db())
    sd = ("--state-dir", str(state_dir))
    code, text = _run(capsys, "stats", *sd)
    assert code == 0
    assert 'Nightly "full": 20 runs, success 95.0%  ok' in text
    assert "p95 2800.0s (target 7200.0s)  ok" in text
    assert "integration: 2/3 passed (66.7%)  MISSED" in text
    code, out = _run(capsys, "stats", "--format", "json", "--days", "30", *sd)
    data = json.loads(out)
    assert data["workflows"][0]["runs"] == 20 and data["workflows"][0]["p95_duration"] == 2800.0
    assert {t["tier"]: t["tests"] for t in data["tiers"]} == {"integration": 3, "unit": 2}
    assert data["flaky_tests"] == 1
    code, prom = _run(capsys, "stats", "--format", "prometheus", *sd)
    assert code == 0
    _check_prometheus(prom)
    assert 'conveyor_workflow_runs{workflow="Nightly \\"full\\""} 20' in prom


def test_stats_uses_targets_from_conveyor_toml(
    make_db: Callable[[], ResultsDb],
    state_dir: Path,
    cli_env: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _seed_stats(make_db())
    project = tmp_path / "project"
    project.mkdir()
    (project / "conveyor.toml").write_text(
        "[targets]\nsuccess_rate = 0.99\nnightly = '30m'\n", encoding="utf-8"
    )
    monkeypatch.chdir(project)
    code, text = _run(capsys, "stats", "--state-dir", str(state_dir))
    assert code == 0
    assert 'Nightly "full": 20 runs, success 95.0%  MISSED' in text  # 95 % < 99 %
    assert "(target 1800.0s)  MISSED" in text
    code, out = _run(capsys, "stats", "--format", "json", "--state-dir", str(state_dir))
    assert json.loads(out)["targets"]["success_rate"] == 0.99


_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
_LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\\\|\\"|\\n)*"'
_SAMPLE = re.compile(rf"^({_NAME})(?:\{{(?:{_LABEL})(?:,{_LABEL})*\}})? (\S+)$")


def _check_prometheus(text: str) -> None:
    assert text.endswith("\n")
    helped: set[str] = set()
    typed: set[str] = set()
    for line in text.splitlines():
        if line.startswith("# HELP "):
            name = line.split(" ")[2]
            assert re.fullmatch(_NAME, name) and name not in helped
            helped.add(name)
        elif line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            assert kind in {"gauge", "counter", "histogram", "summary", "untyped"}
            assert name in helped and name not in typed
            typed.add(name)
        else:
            match = _SAMPLE.match(line)
            assert match, f"bad sample line: {line!r}"
            assert match.group(1) in typed
            float(match.group(2))


def test_label_escaping() -> None:
    assert escape_label('a\\b"c\nd') == 'a\\\\b\\"c\\nd'
