"""Each tier's flaky policy in conveyor.toml: ``flaky = "off"`` for live infrastructure,
minimum commits/days before auto-quarantine, and quarantined tests that fail every run
leaving quarantine."""

from __future__ import annotations

import json
import time

import pytest
from tiers_helpers import Project

from conveyor.git import repository_identity
from conveyor.results import quarantine
from conveyor.results.db import ResultsDb
from conveyor.results.ingest import IngestContext, ingest

DAY = 86400.0


def _ingest(project: Project, tier: str, commit: str, failed: bool, at: float) -> None:
    body = '<failure message="schema drift: column missing"/>' if failed else ""
    report = project.root / f"r-{tier}-{commit}-{at}.xml"
    report.write_text(
        f'<testsuite name="s"><testcase classname="db" name="test_schema">{body}'
        "</testcase></testsuite>"
    )
    with ResultsDb(project.state) as db:
        context = IngestContext(
            tier=tier, commit=commit, recorded_at=at, repository_id=_repository(project, db)
        )
        ingest(db, [report], context)


def _repository(project: Project, db: ResultsDb) -> int:
    """The project's repository, as `conveyor flaky` and `conveyor test` there see it."""
    identity = repository_identity(project.root)
    return db.repository_id(identity.key, identity.name, identity.url)


def _flaky(project: Project, capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    assert project.conveyor("flaky", "--format", "json", *args) == 0
    return json.loads(capsys.readouterr().out)


def test_flaky_off_tier_is_neither_listed_nor_quarantined(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    now = time.time()
    for tier in ("integration", "unit"):  # failed on drift, passed once fixed: same commit
        _ingest(project, tier, "c1", True, now - 60)
        _ingest(project, tier, "c1", False, now - 30)
    assert {f["test_id"] for f in _flaky(project, capsys)["flaky"]} == {"db::test_schema"}
    project.write(
        "conveyor.toml", '[tiers.unit]\nflaky = "off"\n[tiers.integration]\nflaky = "off"\n'
    )
    data = _flaky(project, capsys, "--auto-quarantine", "1")
    assert data == {"flaky": [], "quarantined": []}
    project.write("conveyor.toml", '[tiers.integration]\nflaky = "off"\n')
    data = _flaky(project, capsys, "--auto-quarantine", "1")
    assert [f["tier"] for f in data["flaky"]] == ["unit"]  # its newest result is unit's
    assert data["quarantined"] == ["db::test_schema"]


def test_minimum_days_and_commits_before_auto_quarantine(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.write("conveyor.toml", "[tiers.unit.flaky]\nmin_days = 2\nmin_commits = 2\n")
    now = time.time()
    _ingest(project, "unit", "c1", True, now - 2 * DAY)
    _ingest(project, "unit", "c1", False, now - 2 * DAY + 60)
    _ingest(project, "unit", "c2", True, now - 2 * DAY + 120)
    _ingest(project, "unit", "c2", False, now - 2 * DAY + 180)  # 2 commits, 1 day
    data = _flaky(project, capsys, "--auto-quarantine", "1")
    (found,) = data["flaky"]
    assert (found["flaky_commits"], found["flaky_days"]) == (2, 1)
    assert data["quarantined"] == []
    _ingest(project, "unit", "c3", True, now - 60)
    _ingest(project, "unit", "c3", False, now - 30)  # a third commit, on another day
    data = _flaky(project, capsys, "--auto-quarantine", "1")
    assert data["quarantined"] == ["db::test_schema"]


BROKEN = """\
import pytest

@pytest.mark.smoke
def test_always_broken():
    assert False, "really broken"

@pytest.mark.smoke
def test_fine():
    pass
"""


def test_quarantined_test_failing_every_run_leaves_quarantine_and_fails_the_tier(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.write("tests/test_smoke.py", BROKEN)
    project.write("conveyor.toml", "[tiers.smoke.flaky]\nrelease_after = 2\n")
    test_id = "tests/test_smoke.py::test_always_broken"
    with ResultsDb(project.state) as db:
        repository_id = _repository(project, db)
        quarantine.add(db, repository_id, test_id, "auto: flaky on 1 commits", automatic=True)
        quarantine.add(db, repository_id, "tests/test_smoke.py::test_manual", "known bug")
    assert project.conveyor("test", "-t", "smoke", "--retries", "1") == 0  # 1 run: still held
    capsys.readouterr()
    assert project.conveyor("test", "-t", "smoke", "--retries", "1") == 1  # 2 in a row
    out = capsys.readouterr().out
    assert "1 left quarantine after failing 2 runs in a row" in out
    with ResultsDb(project.state) as db, db.read() as connection:
        left = {e.test_id for e in quarantine.entries(connection, _repository(project, db))}
    assert left == {"tests/test_smoke.py::test_manual"}  # manual quarantines stay
    assert project.conveyor("test", "-t", "smoke") == 1  # and it keeps failing the tier


def test_flaky_policy_keys_are_validated(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.write("conveyor.toml", "[tiers.unit.flaky]\nmin_dayz = 2\n")
    assert project.conveyor("flaky") == 2
    assert "conveyor.toml:2: tiers.unit.flaky.min_dayz: unknown key" in capsys.readouterr().err
