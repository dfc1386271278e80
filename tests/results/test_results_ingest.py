"""Each report format ingests into exact rows; bad files ingest nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from results_helpers import FIXTURES, add_run, in_repo
from sqlalchemy import func, select

from conveyor.errors import UserError
from conveyor.results.db import ResultsDb
from conveyor.results.ingest import IngestContext, ingest
from conveyor.results.model import trim
from conveyor.store.results_models import INGESTS, RESULTS

Row = tuple[str, str, float | None, int]  # test id, status, duration, retries

EXPECTED: dict[str, list[Row]] = {
    "pytest_xunit1.xml": [
        ("tests/test_math.py::test_add", "passed", 0.002, 0),
        ("tests/test_math.py::TestDivide::test_by_zero[int]", "failed", 0.011, 0),
        ("tests/test_math.py::test_later", "skipped", 0.0, 0),
        ("tests/test_db.py::test_connect", "error", 0.72, 0),
    ],
    "pytest_xunit2.xml": [
        ("tests.test_math::test_add", "passed", 0.001, 0),
        ("tests.test_math.TestDivide::test_by_zero[int]", "failed", 0.03, 0),
    ],
    "jest_junit.xml": [
        ("Calculator adds two numbers::Calculator adds two numbers", "passed", 0.004, 0),
        ("Calculator divides by zero::Calculator divides by zero", "failed", 0.012, 0),
        ("Calculator rounds::Calculator rounds", "skipped", 0.0, 0),
    ],
    "go_junit_report.xml": [
        ("example.com/shop/cart::TestAddItem", "passed", 0.001, 0),
        ("example.com/shop/cart::TestTotal", "failed", 0.002, 0),
        ("example.com/shop/cart::TestDiscount", "skipped", 0.0, 0),
    ],
    "gotestsum.xml": [
        ("example.com/shop/api::TestCheckout", "failed", 0.3, 0),
        ("example.com/shop/api::TestHealth", "passed", 0.01, 0),
        ("example.com/shop/api::TestCheckout", "passed", 0.1, 0),
    ],
    "surefire.xml": [
        ("com.example.OrderServiceTest::placesOrder", "passed", 0.105, 0),
        ("com.example.OrderServiceTest::retriesPayment", "flaky", 0.412, 2),
        ("com.example.OrderServiceTest::cancelsOrder", "failed", 0.9, 2),
        ("com.example.OrderServiceTest::refunds", "skipped", 0.0, 0),
    ],
    "playwright.xml": [
        ("login.spec.ts::logs in with a valid password", "passed", 1.25, 0),
        ("login.spec.ts::shows an error for a wrong password", "failed", 2.65, 0),
        ("login.spec.ts::remembers the user", "skipped", 0.0, 0),
    ],
    "pytest_json_report.json": [
        ("tests/test_math.py::test_add", "passed", 0.0022, 0),
        ("tests/test_math.py::TestDivide::test_by_zero[int]", "failed", 0.25, 0),
        ("tests/test_math.py::test_later", "skipped", 0.0, 0),
        ("tests/test_math.py::test_known_bug", "skipped", 0.01, 0),
    ],
}


def _rows(db: ResultsDb) -> list[Row]:
    c = RESULTS.c
    query = select(c.test_id, c.status, c.duration, c.retries).order_by(c.id)
    with db.read() as connection:
        return [
            (t, s, None if d is None else round(d, 6), r)
            for t, s, d, r in connection.execute(query)
        ]


def _count(db: ResultsDb) -> tuple[int, int]:
    with db.read() as connection:
        results = connection.execute(select(func.count()).select_from(RESULTS)).scalar_one()
        ingests = connection.execute(select(func.count()).select_from(INGESTS)).scalar_one()
    return results, ingests


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_format_ingests_exact_rows(make_db: Callable[[], ResultsDb], name: str) -> None:
    db = make_db()
    add_run(db, id=7)  # results of a run need the run (foreign key)
    ctx = IngestContext(tier="unit", run_id=7, commit="abc123", branch="main", recorded_at=1e9)
    summary = ingest(db, [FIXTURES / name], ctx)
    assert _rows(db) == EXPECTED[name]
    assert summary.total == len(EXPECTED[name])
    with db.read() as connection:
        extra = connection.execute(
            select(RESULTS.c.tier, RESULTS.c.run_id, RESULTS.c.commit, RESULTS.c.recorded_at)
        ).all()
    assert set(extra) == {("unit", 7, "abc123", 1e9)}


def test_details_are_kept(make_db: Callable[[], ResultsDb]) -> None:
    db = make_db()
    ingest(db, [FIXTURES / "pytest_xunit1.xml", FIXTURES / "surefire.xml"], in_repo(db))
    c = RESULTS.c
    with db.read() as connection:
        rows = {
            r.test_id: r
            for r in connection.execute(
                select(c.test_id, c.name, c.classname, c.file, c.line, c.message, c.output)
            )
        }
    add = rows["tests/test_math.py::test_add"]
    assert (add.name, add.classname, add.file, add.line) == (
        "test_add",
        "tests.test_math",
        "tests/test_math.py",
        3,
    )
    assert add.output == "computing 1+1\n"
    assert "assert 1 == 2" in rows["tests/test_math.py::TestDivide::test_by_zero[int]"].message
    flaky = rows["com.example.OrderServiceTest::retriesPayment"]
    assert flaky.message.startswith("expected: <200> but was: <503>")
    assert rows["com.example.OrderServiceTest::cancelsOrder"].output == "cancel requested"


@pytest.mark.parametrize(
    ("content", "position"),
    [
        ("<testsuites><testsuite><testcase name='a'>", ":1:"),  # truncated
        ("<testsuites>\n<testsuite>\n<testcase name='a' time='1'></testsuite>", ":3:"),
        ("<testsuites>\n  <testcase name=a/>\n</testsuites>", ":2:"),
    ],
)
def test_malformed_xml_names_the_position_and_ingests_nothing(
    make_db: Callable[[], ResultsDb], tmp_path: Path, content: str, position: str
) -> None:
    db = make_db()
    bad = tmp_path / "bad.xml"
    bad.write_text(content)
    with pytest.raises(UserError, match="malformed XML") as caught:
        ingest(db, [FIXTURES / "jest_junit.xml", bad], in_repo(db))
    message = str(caught.value)
    assert message.startswith(f"{bad}{position}")
    line, column = message[len(str(bad)) + 1 :].split(":")[:2]
    assert line.isdigit() and column.isdigit()
    assert _count(db) == (0, 0)


def test_large_truncated_file_ingests_nothing(
    make_db: Callable[[], ResultsDb], tmp_path: Path
) -> None:
    db = make_db()
    bad = tmp_path / "big.xml"
    cases = "".join(f'<testcase classname="c" name="t{i}" time="0.1"/>\n' for i in range(5000))
    bad.write_text(f"<testsuites><testsuite name='s'>\n{cases}<testcase name='x")
    with pytest.raises(UserError, match=r"big\.xml:5002:\d+: malformed XML"):
        ingest(db, [bad], in_repo(db))
    assert _count(db) == (0, 0)


def test_other_bad_inputs(make_db: Callable[[], ResultsDb], tmp_path: Path) -> None:
    db = make_db()
    html = tmp_path / "page.xml"
    html.write_text("<html><body/></html>")
    with pytest.raises(UserError, match="not a JUnit XML report"):
        ingest(db, [html], in_repo(db))
    broken = tmp_path / "r.json"
    broken.write_text('{"tests": [')
    with pytest.raises(UserError, match=r"r\.json:1:\d+: malformed JSON"):
        ingest(db, [broken], in_repo(db))
    with pytest.raises(UserError, match="no such report file"):
        ingest(db, [tmp_path / "missing.xml"], in_repo(db))
    assert _count(db) == (0, 0)


def test_long_output_is_trimmed_at_both_ends() -> None:
    text = "A" * 10_000 + "middle" + "Z" * 10_000
    trimmed = trim(text, keep=1024)
    assert trimmed.startswith("A" * 1024) and trimmed.endswith("Z" * 1024)
    assert "bytes trimmed" in trimmed and "middle" not in trimmed
    assert trim("short", keep=1024) == "short"


def test_ingest_cli(state_dir: Path, cli_env: None, capsys: pytest.CaptureFixture[str]) -> None:
    from conveyor.cli.main import main

    code = main(
        ["ingest", str(FIXTURES / "surefire.xml"), "--tier", "unit", "--state-dir", str(state_dir)]
    )
    assert code == 0
    assert "ingested 4 results" in capsys.readouterr().out
    assert main(["ingest", str(state_dir / "nope.xml"), "--state-dir", str(state_dir)]) == 2


def test_pytest_json_with_odd_durations_ingests(
    make_db: Callable[[], ResultsDb], tmp_path: Path
) -> None:
    """Found by `make fuzz`: ``"duration": [null]`` was a TypeError (exit 3)."""
    report = tmp_path / "odd.json"
    report.write_text(
        '{"tests": [{"nodeid": "t.py::a", "outcome": "passed",'
        ' "setup": {"duration": [null]}, "call": {"duration": "x"},'
        ' "teardown": {"duration": 1e999}},'
        ' {"nodeid": "t.py::b", "outcome": "failed", "call": {"duration": 0.5}}]}'
    )
    db = make_db()
    summary = ingest(db, [report], in_repo(db, tier="unit"))
    assert summary.total == 2 and summary.by_status == {"failed": 1, "passed": 1}
