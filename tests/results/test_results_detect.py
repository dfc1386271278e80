"""Which files are test reports (by content), pytest ``-m`` expressions over a report's
markers, and the tier a detected report's tests get."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conveyor.engine.ports import FinishedStep
from conveyor.results.detect import report_kind
from conveyor.results.jsonreport import parse_json_report
from conveyor.results.markers import matches
from conveyor.results.model import TestCaseResult
from conveyor.tiers.config import ConveyorConfig
from conveyor.tiers.stepreports import job_tier, tier_chooser

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "junit"


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.iterdir()))
def test_every_dialect_fixture_is_a_report(name: str) -> None:
    expected = "json" if name.endswith(".json") else "junit"
    assert report_kind(FIXTURES / name) == expected


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ('<?xml version="1.0"?>\n<project><modelVersion/></project>', None),  # a pom
        ("<coverage line-rate='1'><packages/></coverage>", None),  # Cobertura
        ("<testsuite name='a'><testcase name='x'/>", "junit"),  # cut short: still a report
        ("\ufeff<testsuites><testsuite", "junit"),  # BOM, cut inside the second element
        ("<?xml versi", None),  # broken before any element: nothing says it is a report
        ("", None),
        ("not xml at all", None),
        ('{"name": "app", "version": "1.0.0", "scripts": {}}', None),  # package.json
        ('{"tests": [], "summary": {"total": 0}}', "json"),
        ('{"tests": {"a": 1}, "summary": {}}', None),  # tests is not a list
        ('{"created": 1, "exitcode": 0, "summary": {"passed": 2}, "tests": [{"nod', "json"),
        ('{"created": 1, "exitcode": 0, "summary": {"passed": 2}}', None),  # no tests list
        ("[1, 2, 3]", None),
    ],
)
def test_report_kind_by_content(tmp_path: Path, text: str, kind: str | None) -> None:
    path = tmp_path / "anything.dat"
    path.write_text(text, encoding="utf-8")
    assert report_kind(path) == kind


@pytest.mark.parametrize(
    ("expression", "markers", "expected"),
    [
        ("integration", {"integration"}, True),
        ("integration", {"smoke"}, False),
        ("integration and not e2e and not legacy", {"integration", "smoke"}, True),
        ("integration and not e2e and not legacy", {"integration", "e2e"}, False),
        ("e2e or smoke", {"smoke"}, True),
        ("not (e2e or smoke)", {"smoke"}, False),
        ("integration and not ratelimited", {"integration"}, True),
        ("slow(reason='x') or fast", {"slow"}, True),  # arguments: the name decides
        ("", {"x"}, True),  # like pytest: no expression selects everything
        ("integration and", {"integration"}, False),  # unreadable: selects nothing
        ("(integration", {"integration"}, False),
        ("and", set(), False),
    ],
)
def test_marker_expressions(expression: str, markers: set[str], expected: bool) -> None:
    assert matches(expression, markers) is expected


def test_json_report_markers_leave_out_the_tests_own_names(tmp_path: Path) -> None:
    test = {
        "nodeid": "tests/integration/test_a.py::TestX::test_p[1]",
        "outcome": "passed",
        "keywords": [
            "test_p[1]", "parametrize", "smoke", "pytestmark", "1", "TestX", "test_a.py",
            "integration", "tests", "proj", "",
        ],
    }  # fmt: skip
    report = {"root": "/w/proj", "summary": {}, "tests": [test]}
    path = tmp_path / "r.json"
    path.write_text(json.dumps(report), encoding="utf-8")
    (case,) = parse_json_report(path)
    assert case.markers == ("parametrize", "smoke", "integration", "tests")


def _step(job_id: str, name: str) -> FinishedStep:
    here = Path()
    return FinishedStep(1, "1", job_id, job_id, name, 0, "s", here, here, here, "", "")


def test_a_jobs_tier_comes_from_the_mapping_then_markers_then_its_name() -> None:
    config = ConveyorConfig.model_validate(
        {"ingest": {"tiers": {"integration-*": "integration", "Nightly *": "nightly"}}}
    )
    assert job_tier(config, "integration-tests") == "integration"
    assert job_tier(config, "other", "Nightly e2e") == "nightly"
    assert job_tier(config, "unit") is None
    mapped, per_case = tier_chooser(config, _step("integration-tests", "Tier 2"))
    assert (mapped, per_case) == ("integration", None)
    fallback, tier_of = tier_chooser(config, _step("checks", "Tier 3 - Smoke Tests"))
    assert fallback == "Tier 3 - Smoke Tests" and tier_of is not None
    # the default tiers: the highest order among those whose marker the test satisfies
    assert tier_of(TestCaseResult("t", markers=("integration", "smoke"))) == "smoke"
    assert tier_of(TestCaseResult("t", markers=("integration", "e2e"))) == "e2e"
    assert tier_of(TestCaseResult("t", markers=("integration",))) == "integration"
    assert tier_of(TestCaseResult("t", markers=("slow",))) == "Tier 3 - Smoke Tests"
    assert tier_of(TestCaseResult("t")) == "Tier 3 - Smoke Tests"  # JUnit: no markers


def test_candidates_follow_the_globs_and_skip_dependency_folders(tmp_path: Path) -> None:
    from conveyor.expressions.pathglob import compile_patterns
    from conveyor.tiers.config import IngestSettings
    from conveyor.tiers.stepreports import candidates

    for name in (
        "junit.xml",
        "out/TEST-orders.xml",
        "e2e-results.json",
        ".report.json",
        "fixtures/junit.xml",
        "node_modules/pkg/junit.xml",
        ".venv/lib/test_x.xml",
        "build/custom.out",
        "src/app.py",
        "pom.xml",
    ):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x", encoding="utf-8")
    settings = IngestSettings(globs=["build/*.out", "!fixtures/**"])
    found = candidates(tuple(compile_patterns(settings.patterns(), tmp_path)))
    relative = sorted(Path(p).relative_to(tmp_path).as_posix() for p in found)
    assert relative == [
        ".report.json",
        "build/custom.out",
        "e2e-results.json",
        "junit.xml",
        "out/TEST-orders.xml",
    ]
    only = IngestSettings(globs=["build/*.out"], default_globs=False)
    found = candidates(tuple(compile_patterns(only.patterns(), tmp_path)))
    assert [Path(p).name for p in found] == ["custom.out"]
