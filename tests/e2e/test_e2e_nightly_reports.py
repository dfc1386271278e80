"""The seeds' nightly build, verbatim, run by ``conveyor run``: the pytest-json-report files
its jobs write and upload are detected and ingested, so its report has its three tiers
with the right counts, and ``conveyor stats`` shows them (issue 15)."""

from __future__ import annotations

import json
import re
import sqlite3

import pytest
from step_reports_helpers import Project, make_project

from shared_data import SHARED

SEED = SHARED / "seeds" / "000_14b8894c36dfc0d7.txt"

# a small suite with the seed's markers: integration (tier 2), smoke (3), e2e (4), legacy
SUITE = {
    "requirements.txt": "# the project's runtime dependencies\n",
    "pytest.ini": """
        [pytest]
        markers =
            integration: needs real services
            smoke: checks a deployed function
            e2e: a whole user flow
            legacy: not run any more
    """,
    "tests/infrastructure/test_aurora_schema.py": """
        import pytest

        pytestmark = pytest.mark.integration

        def test_schema_matches():
            assert True

        def test_precompute_roundtrip():
            assert True

        @pytest.mark.parametrize("table", ["ticker_data", "reports"])
        def test_table_exists(table):
            assert table

        @pytest.mark.skip(reason="needs a staging snapshot")
        def test_snapshot_restore():
            pass

        @pytest.mark.legacy
        def test_old_schema():
            assert False, "legacy tests are never selected"
    """,
    "tests/scheduler/test_scheduler_lambda.py": """
        import pytest

        @pytest.mark.integration
        @pytest.mark.smoke
        def test_scheduler_health():
            assert True

        @pytest.mark.integration
        @pytest.mark.smoke
        def test_precompute_single_ticker():
            assert True
    """,
    "tests/e2e/test_twinbar_api.py": """
        import pytest

        pytestmark = [pytest.mark.e2e, pytest.mark.integration]

        def test_rankings_flow():
            assert True

        def test_report_flow():
            assert True

        def test_chart_flow():
            assert True
    """,
}


def seed_workflow() -> str:
    """The nightly-build workflow of the seed, exactly as written there."""
    text = SEED.read_text(encoding="utf-8")
    start = text.index("### File: `.github/workflows/nightly-build.yml`")
    found = re.search(r"```yaml\n(.*?)```", text[start:], re.DOTALL)
    assert found is not None
    return found.group(1)


@pytest.fixture(scope="module")
def nightly(tmp_path_factory: pytest.TempPathFactory) -> tuple[Project, str]:
    base = tmp_path_factory.mktemp("nightly")
    files = {**SUITE, ".github/workflows/nightly-build.yml": seed_workflow()}
    project = make_project(base, files)
    done = project.conveyor("run", "--event", "workflow_dispatch")
    return project, done.stdout + done.stderr


def _tiers(report: dict[str, object]) -> dict[str, dict[str, object]]:
    tiers = report["tiers"]
    assert isinstance(tiers, list)
    return {str(t["name"]): t for t in tiers}


@pytest.mark.slow
def test_the_seeds_nightly_build_reports_its_three_tiers(nightly: tuple[Project, str]) -> None:
    project, output = nightly
    # the file is the seed's, byte for byte
    written = project.repo / ".github" / "workflows" / "nightly-build.yml"
    assert written.read_text(encoding="utf-8") == seed_workflow()
    report = project.report()
    assert report["conclusion"] == "success", output
    tiers = _tiers(report)
    assert set(tiers) == {"integration", "smoke", "e2e"}, (tiers, output)
    counts = {
        name: (t["passed"], t["failed"], t["skipped"], t["flaky"]) for name, t in tiers.items()
    }
    # integration: 4 passed (2 + the parametrized pair), 1 skipped; legacy deselected;
    # smoke: the two tests marked smoke as well; e2e: the e2e job's three
    assert counts == {
        "integration": (4, 0, 1, 0),
        "smoke": (2, 0, 0, 0),
        "e2e": (3, 0, 0, 0),
    }, counts


@pytest.mark.slow
def test_each_report_is_ingested_once_with_its_job_and_step(nightly: tuple[Project, str]) -> None:
    project, _output = nightly
    done = project.conveyor("logs", "latest", check=True)
    logs = done.stdout
    # written by the pytest step, uploaded by the next one, downloaded by the report job
    assert logs.count("Ingested test report integration-results.json: 7 tests") == 1, logs
    assert logs.count("Ingested test report e2e-results.json: 3 tests") == 1, logs
    assert "integration-results.json: already ingested in this run" in logs
    with sqlite3.connect(project.state / "conveyor.db") as db:
        rows = db.execute(
            "SELECT job_key, step_name, tier, total FROM test_ingests ORDER BY id"
        ).fetchall()
    assert rows == [
        ("integration-tests", "Run Integration Tests", "integration", 7),
        ("e2e-tests", "Run E2E Tests", "e2e", 3),
    ], rows


@pytest.mark.slow
def test_stats_show_the_nightly_tiers(nightly: tuple[Project, str]) -> None:
    project, _output = nightly
    done = project.conveyor("stats", "--format", "json", check=True)
    stats = json.loads(done.stdout)
    text = json.dumps(stats)
    for tier in ("integration", "smoke", "e2e"):
        assert f'"{tier}"' in text, stats
    shown = project.conveyor("stats", check=True).stdout
    for tier in ("integration", "smoke", "e2e"):
        assert tier in shown, shown
