"""Test reports a workflow's steps write or upload are detected by content and ingested
into the run with their job and step; ``[ingest]`` turns it off, adds globs and maps
jobs to tiers; a broken report is a warning on its step and stores nothing (issue 15)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from step_reports_helpers import Project, make_project

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "junit"

POM = """<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <artifactId>orders</artifactId>
</project>
"""

UPLOAD_WORKFLOW = """
name: build
on: push
jobs:
  unit:
    name: Unit tests
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - name: Run the test suites
        run: |
          mkdir -p out/js out/go out/java
          cp fixtures/pytest_xunit2.xml out/python.xml
          cp fixtures/jest_junit.xml out/js/jest.xml
          cp fixtures/gotestsum.xml out/go/go.xml
          cp fixtures/surefire.xml out/java/orders.xml
          cp fixtures/pytest_json_report.json out/py.json
          cp fixtures/pom.xml out/pom.xml
          head -c 700 fixtures/surefire.xml > out/java/cut.xml
      - name: Upload test results
        uses: actions/upload-artifact@v4
        with:
          name: test-results
          path: out/
"""


def _fixtures(*names: str) -> dict[str, str]:
    return {f"fixtures/{n}": (FIXTURES / n).read_text(encoding="utf-8") for n in names}


def _db(project: Project, query: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(project.state / "conveyor.db") as db:
        return list(db.execute(query).fetchall())


def _uploaded_fixtures() -> dict[str, str]:
    """The reports of four JUnit runners and a pytest-json-report, and a non-report XML."""
    return {
        "fixtures/pom.xml": POM,
        **_fixtures(
            "pytest_xunit2.xml",
            "jest_junit.xml",
            "gotestsum.xml",
            "surefire.xml",
            "pytest_json_report.json",
        ),
    }


@pytest.fixture(scope="module")
def uploaded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Project, str]:
    base = tmp_path_factory.mktemp("uploaded")
    files = {
        ".github/workflows/build.yml": UPLOAD_WORKFLOW,
        **_uploaded_fixtures(),
    }
    project = make_project(base, files)
    done = project.conveyor("run")
    return project, done.stdout + done.stderr


@pytest.mark.slow
def test_uploaded_reports_of_four_runners_are_ingested(uploaded: tuple[Project, str]) -> None:
    project, output = uploaded
    report = project.report()
    # the run itself passed: the reports' failures are the tests', not the steps'
    assert report["conclusion"] == "success", output
    tiers = {t["name"]: t for t in report["tiers"]}  # type: ignore[attr-defined]
    assert list(tiers) == ["Unit tests"], tiers
    tier = tiers["Unit tests"]
    # pytest xunit2 1p 1f, jest-junit 1p 1f 1s, gotestsum 2p 1f, surefire 1p 1f 1s 1 flaky,
    # pytest-json-report 1p 1f 2s
    assert (tier["passed"], tier["failed"], tier["skipped"], tier["flaky"]) == (6, 5, 4, 1)
    assert report["verdict"] == "failed"  # failed tests fail the report's verdict
    failing = {f["test_id"] for f in report["failures"]}  # type: ignore[attr-defined]
    assert "tests/test_math.py::TestDivide::test_by_zero[int]" in failing  # from the JSON
    rows = _db(project, "SELECT job_key, step_index, step_name, total FROM test_ingests")
    assert sorted(r[3] for r in rows) == [2, 3, 3, 4, 4], rows  # type: ignore[type-var]
    assert {r[:3] for r in rows} == {("unit", 2, "Upload test results")}, rows


@pytest.mark.slow
def test_a_truncated_report_is_a_warning_and_stores_nothing(
    uploaded: tuple[Project, str],
) -> None:
    project, output = uploaded
    warning = [line for line in output.splitlines() if "out/java/cut.xml" in line]
    assert warning, output
    assert "cut.xml:" in warning[0] and "test report not ingested" in warning[0], warning
    # file:line:col of where the XML breaks
    assert any(":13:" in w or "malformed XML" in w for w in warning), warning
    logs = project.conveyor("logs", "latest", "unit", "--step", "2", check=True).stdout
    assert "cut.xml" in logs, logs
    sources = [str(r[0]) for r in _db(project, "SELECT sources FROM test_ingests")]
    assert not any("cut" in s for s in sources), sources
    # nothing partial: every stored row belongs to one of the five whole reports
    assert _db(project, "SELECT count(*) FROM test_results") == [(16,)]


@pytest.mark.slow
def test_xml_that_is_not_a_report_is_ignored_silently(uploaded: tuple[Project, str]) -> None:
    project, output = uploaded
    assert "pom.xml" not in output
    logs = project.conveyor("logs", "latest", check=True).stdout
    assert "pom.xml" not in logs
    assert "Ingested test report out/python.xml: 2 tests" in logs, logs


@pytest.mark.slow
def test_flaky_and_stats_cover_the_ingested_reports(uploaded: tuple[Project, str]) -> None:
    project, _output = uploaded
    flaky = project.conveyor("flaky", "--format", "json", check=True).stdout
    assert "placesOrderWithRetry" in flaky or "OrderServiceTest" in flaky, flaky
    stats = project.conveyor("stats", check=True).stdout
    assert "Unit tests" in stats, stats


PASSING = """<?xml version="1.0" encoding="UTF-8"?>
<testsuites><testsuite name="api" tests="2">
<testcase classname="api.Orders" name="creates" time="0.1"/>
<testcase classname="api.Orders" name="lists" time="0.2"/>
</testsuite></testsuites>
"""


def _json_report(marker: str, names: list[str]) -> str:
    tests = [
        {
            "nodeid": f"tests/flows/test_flow.py::{n}",
            "lineno": 3,
            "outcome": "passed",
            "keywords": [n, marker, "test_flow.py", "flows", "tests", "repo", ""],
            "setup": {"duration": 0.0, "outcome": "passed"},
            "call": {"duration": 0.01, "outcome": "passed"},
            "teardown": {"duration": 0.0, "outcome": "passed"},
        }
        for n in names
    ]
    summary = {"passed": len(names), "total": len(names), "collected": len(names)}
    data = {"created": 1.0, "duration": 0.1, "exitcode": 0, "root": "/w/repo"}
    return json.dumps({**data, "summary": summary, "collectors": [], "tests": tests})


CONFIGURED = """
name: configured
on: push
jobs:
  integration-tests:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - name: Integration suite
        run: |
          mkdir -p build/it
          sed s/api/suite/ fixtures/passing.xml > build/it/suite.out
          cp fixtures/passing.xml junit.xml
          sed s/test_/it_/ fixtures/smoke.json > integration-results.json
  e2e:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - name: Flows
        run: cp fixtures/smoke.json e2e-report.json
  deploy-check:
    name: Deploy check
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - name: Check and fail
        run: |
          sed s/api/deploy/ fixtures/passing.xml > junit.xml
          echo "the deployment is not healthy" >&2
          exit 3
"""

CONFIG = """
[ingest]
globs = ["build/**/*.out"]

[ingest.tiers]
"integration-*" = "integration"
"Deploy*" = "deploy"
"""


@pytest.fixture(scope="module")
def configured(tmp_path_factory: pytest.TempPathFactory) -> tuple[Project, str]:
    base = tmp_path_factory.mktemp("configured")
    files = {
        ".github/workflows/configured.yml": CONFIGURED,
        "conveyor.toml": CONFIG,
        "fixtures/passing.xml": PASSING,
        "fixtures/smoke.json": _json_report("smoke", ["test_a", "test_b", "test_c"]),
    }
    project = make_project(base, files)
    done = project.conveyor("run")
    return project, done.stdout + done.stderr


@pytest.mark.slow
def test_tiers_from_the_job_mapping_then_markers(configured: tuple[Project, str]) -> None:
    project, output = configured
    report = project.report()
    tiers = {t["name"]: t for t in report["tiers"]}  # type: ignore[attr-defined]
    # integration-tests: mapped by pattern, whatever the markers say: 2 + 2 + 3 tests
    # (the extra glob's build/it/suite.out, junit.xml, integration-results.json);
    # e2e: not mapped, so the tests' smoke marker decides (the smoke tier of the default
    # tiers); Deploy check: by its name
    assert {n: t["passed"] for n, t in tiers.items()} == {
        "integration": 7,
        "smoke": 3,
        "deploy": 2,
    }, (tiers, output)


@pytest.mark.slow
def test_a_failed_step_shows_though_its_tests_passed(configured: tuple[Project, str]) -> None:
    project, output = configured
    report = project.report()
    assert report["conclusion"] == "failure", output
    assert report["verdict"] == "failed"
    failed = report["failed_jobs"]
    assert [j["job_key"] for j in failed] == ["deploy-check"], failed  # type: ignore[index]
    step = failed[0]["steps"][0]  # type: ignore[index]
    assert step["name"] == "Check and fail" and step["exit_code"] == 3, step
    assert "the deployment is not healthy" in "\n".join(step["log_tail"])
    markdown = project.conveyor("report", "latest").stdout
    assert "Check and fail" in markdown and "deploy" in markdown


@pytest.mark.slow
def test_ingest_can_be_turned_off(tmp_path: Path) -> None:
    files = {
        ".github/workflows/build.yml": UPLOAD_WORKFLOW,
        "conveyor.toml": "[ingest]\nenabled = false\n",
        **_uploaded_fixtures(),
    }
    project = make_project(tmp_path, files)
    done = project.conveyor("run")
    assert done.returncode == 0, done.stdout + done.stderr
    assert _db(project, "SELECT count(*) FROM test_ingests") == [(0,)]
    assert "cut.xml" not in done.stdout + done.stderr


@pytest.mark.slow
def test_a_bad_ingest_key_names_its_line(tmp_path: Path) -> None:
    config = '[ingest]\nenabled = true\nglob = ["x.xml"]\n'
    project = make_project(
        tmp_path, {".github/workflows/build.yml": UPLOAD_WORKFLOW, "conveyor.toml": config}
    )
    done = project.conveyor("run")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "conveyor.toml:3: ingest.glob: unknown key" in done.stdout + done.stderr


SECRET = "hunter2-s3cr3t-token"

LEAKY = """
name: leaky
on: push
jobs:
  api:
    runs-on: ubuntu-latest
    steps:
      - name: Tests that print the token
        env:
          TOKEN: ${{ secrets.API_TOKEN }}
        run: |
          cat > junit.xml <<XML
          <testsuite name="api"><testcase classname="api" name="auth">
          <failure message="401 for token $TOKEN">sent $TOKEN</failure>
          <system-out>token=$TOKEN</system-out></testcase></testsuite>
          XML
"""


@pytest.mark.slow
def test_a_secret_in_a_detected_report_is_stored_masked(tmp_path: Path) -> None:
    project = make_project(tmp_path, {".github/workflows/leaky.yml": LEAKY})
    done = project.conveyor("run", "--secret", f"API_TOKEN={SECRET}")
    assert done.returncode == 0, done.stdout + done.stderr
    rows = _db(project, "SELECT name, message, output FROM test_results")
    assert len(rows) == 1, rows
    assert SECRET not in repr(rows) and "***" in str(rows[0][1]), rows
    sources = [str(r[0]) for r in _db(project, "SELECT sources FROM test_ingests")]
    kept = Path(sources[0]).read_text(encoding="utf-8")
    assert SECRET not in kept and "401 for token ***" in kept, kept
    assert SECRET not in project.conveyor("report", "latest", "--format", "json").stdout


BY_HAND = """
name: by-hand
on: push
jobs:
  api:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - name: Tests, ingested by hand
        run: |
          cp fixtures/passing.xml junit.xml
          conveyor ingest junit.xml --run "$GITHUB_RUN_ID" --tier by-hand
"""


@pytest.mark.slow
def test_conveyor_ingest_in_a_step_is_not_ingested_twice(tmp_path: Path) -> None:
    files = {".github/workflows/by-hand.yml": BY_HAND, "fixtures/passing.xml": PASSING}
    project = make_project(tmp_path, files)
    done = project.conveyor("run")
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "junit.xml: already ingested in this run" in output, output
    assert _db(project, "SELECT tier, total, job_key FROM test_ingests") == [("by-hand", 2, None)]
    tiers = [t["name"] for t in project.report()["tiers"]]  # type: ignore[attr-defined]
    assert tiers == ["by-hand"]


BOTH = """
name: both
on: push
jobs:
  checks:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - name: Unit tier
        uses: conveyor/test@v1
        with:
          tier: unit
      - name: Contract tests
        run: cp fixtures/passing.xml contract-junit.xml
"""


@pytest.mark.slow
def test_detected_reports_sit_beside_conveyor_test_results(tmp_path: Path) -> None:
    files = {
        ".github/workflows/both.yml": BOTH,
        "fixtures/passing.xml": PASSING,
        "pytest.ini": "[pytest]\nmarkers =\n    unit: fast\n",
        "tests/test_unit.py": (
            "import pytest\n\n@pytest.mark.unit\ndef test_one():\n    assert True\n\n"
            "@pytest.mark.unit\ndef test_two():\n    assert True\n"
        ),
    }
    project = make_project(tmp_path, files)
    done = project.conveyor("run")
    assert done.returncode == 0, done.stdout + done.stderr
    rows = _db(project, "SELECT tier, total, job_key, step_index FROM test_ingests ORDER BY id")
    # conveyor/test@v1's results and the detected report: each with its job and step
    assert rows == [("unit", 2, "checks", 1), ("checks", 2, "checks", 2)], rows
    tiers = {t["name"]: t["passed"] for t in project.report()["tiers"]}  # type: ignore[attr-defined]
    assert tiers == {"unit": 2, "checks": 2}, tiers
