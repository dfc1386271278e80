"""Shared by the results tests (importable by name: the conftest module name is not unique)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import insert

from conveyor.results.db import ResultsDb
from conveyor.results.ingest import IngestContext
from conveyor.store.models import RunRow

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "junit"
# The repository the CLI commands of these tests look at ($CONVEYOR_REPOSITORY, set by the
# store tests' autouse fixture).
TEST_REPOSITORY = "github.com/acme/widgets"


def in_repo(db: ResultsDb, **fields: Any) -> IngestContext:
    """An ingest context in the tests' repository."""
    return IngestContext(repository_id=db.repository_id(TEST_REPOSITORY), **fields)


def add_run(db: ResultsDb, **fields: Any) -> None:
    """Insert a run row of the tests' repository (``id=`` may be given)."""
    row = {
        "repository_id": db.repository_id(TEST_REPOSITORY),
        "run_number": 1,
        "workflow_path": ".github/workflows/ci.yml",
        "workflow_name": "CI",
        "event": "push",
        "ref": "refs/heads/main",
        "sha": "",
        "repository": "acme/widgets",
        "status": "completed",
        "created_at": 1e9,
        "pid": 0,
        "host": "",
        "note": "",
        **fields,
    }
    with db.writer.begin() as connection:
        connection.execute(insert(RunRow), [row])
