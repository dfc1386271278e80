"""JUnit and pytest-json ingest never fail with anything but conveyor's own errors: a bad
report names the file and ingests nothing; a good one ingests every case."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from property_helpers import junit_documents, pytest_json_documents
from sqlalchemy import func, select

from conveyor.errors import ConveyorError
from conveyor.results.db import ResultsDb
from conveyor.results.ingest import IngestContext, ingest, read_report
from conveyor.store.results_models import RESULTS

pytestmark = pytest.mark.property
_COUNTER = itertools.count()


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def db(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ResultsDb]:
    """SQLite, and PostgreSQL (which, unlike SQLite, enforces column lengths)."""
    url = request.getfixturevalue("postgres_url") if request.param == "postgres" else None
    with ResultsDb(tmp_path_factory.mktemp("state"), url) as opened:
        yield opened


def _write(directory: Path, data: bytes, suffix: str) -> Path:
    path = directory / f"report{next(_COUNTER)}{suffix}"
    path.write_bytes(data)
    return path


def _repo(db: ResultsDb) -> int:
    """The repository the fuzzed results belong to."""
    return db.repository_id("fuzz/repository", "fuzz")


def _rows(db: ResultsDb) -> int:
    with db.read() as connection:
        return int(connection.execute(select(func.count()).select_from(RESULTS)).scalar() or 0)


@given(data=junit_documents | pytest_json_documents | st.binary(max_size=100))
def test_reading_any_report(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    path = _write(tmp_path_factory.getbasetemp(), data, ".xml")
    try:
        cases = list(read_report(path))
    except ConveyorError as exc:
        assert str(path) in str(exc)
        return
    for case in cases:
        assert case.status in ("passed", "failed", "error", "skipped", "flaky")
        assert isinstance(case.test_id, str)


@given(data=junit_documents | pytest_json_documents)
def test_ingesting_any_report_is_all_or_nothing(
    tmp_path_factory: pytest.TempPathFactory, db: ResultsDb, data: bytes
) -> None:
    path = _write(tmp_path_factory.getbasetemp(), data, ".report")
    before = _rows(db)
    try:
        expected = len(list(read_report(path)))
    except ConveyorError:
        expected = None
    try:
        summary = ingest(db, [path], IngestContext(tier="fuzz", repository_id=_repo(db)))
    except ConveyorError:
        assert expected is None
        assert _rows(db) == before  # nothing half-ingested
        return
    assert summary.total == expected == _rows(db) - before


def test_long_names_fit_their_columns(tmp_path: Path, db: ResultsDb) -> None:
    """Found by the ingest property on PostgreSQL: a 3000-character test name was a
    DataError (exit 3); ids longer than a column are cut and keep a digest of the whole."""
    names = ["x" * 3000 + "a", "x" * 3000 + "b"]
    cases = "".join(f'<testcase classname="c" name="{n}"/>' for n in names)
    report = tmp_path / "long.xml"
    report.write_text(f"<testsuite name='s'>{cases}</testsuite>")
    context = IngestContext(
        tier="t" * 300, branch="b" * 300, commit="c" * 99, repository_id=_repo(db)
    )
    summary = ingest(db, [report], context)
    assert summary.total == 2
    with db.read() as connection:
        ids = (
            connection.execute(
                select(RESULTS.c.test_id).where(RESULTS.c.ingest_id == summary.ingest_id)
            )
            .scalars()
            .all()
        )
    assert len(set(ids)) == 2 and all(len(i) == 2048 for i in ids)
