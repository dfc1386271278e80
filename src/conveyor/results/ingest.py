"""``conveyor ingest``: store test reports, all files in one transaction.

Rows are inserted in chunks (Core ``insert`` executemany) while the files are parsed
inside one write transaction, so memory stays flat and an unreadable file rolls back
everything: nothing is ever half-ingested.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, insert

from conveyor.errors import UserError
from conveyor.results.db import ResultsDb
from conveyor.results.jsonreport import parse_json_report
from conveyor.results.junit import parse_junit
from conveyor.results.model import TestCaseResult
from conveyor.store.repositories import run_repository
from conveyor.store.results_models import INGESTS, RESULTS

CHUNK = 2000
DEFAULT_BRANCH = "main"


@dataclass(frozen=True, slots=True)
class IngestContext:
    """Where results come from. They belong to the run's repository when ``run_id`` is
    given (the run must exist), else to ``repository_id``."""

    tier: str = ""
    run_id: int | None = None
    commit: str = ""
    branch: str = DEFAULT_BRANCH
    recorded_at: float | None = None
    repository_id: int | None = None


@dataclass(slots=True)
class IngestSummary:
    ingest_id: int
    files: int
    total: int
    by_status: dict[str, int] = field(default_factory=dict)
    repository_id: int = 0


def detect_format(path: Path) -> str:
    """``json`` or ``junit`` from the first non-blank byte."""
    try:
        with path.open("rb") as handle:
            head = handle.read(4096)
    except OSError as exc:
        raise UserError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith((b"{", b"[")):
        return "json"
    if stripped.startswith(b"<"):
        return "junit"
    if not stripped:
        raise UserError(f"{path}:1:1: empty report file")
    raise UserError(f"{path}: not a JUnit XML or pytest-json-report file")


def read_report(path: Path) -> Iterator[TestCaseResult]:
    if detect_format(path) == "json":
        return parse_json_report(path)
    return parse_junit(path)


def _rows(
    cases: Iterable[TestCaseResult], ids: tuple[int, int], ctx: IngestContext, at: float
) -> Iterator[dict[str, Any]]:
    """Result rows; ``ids``: (ingest id, repository id)."""
    ingest_id, repository_id = ids
    for case in cases:
        yield {
            "ingest_id": ingest_id,
            "repository_id": repository_id,
            "recorded_at": at,
            "tier": ctx.tier,
            "run_id": ctx.run_id,
            "commit": ctx.commit,
            "branch": ctx.branch,
            "test_id": case.test_id,
            "name": case.name,
            "classname": case.classname,
            "suite": case.suite,
            "file": case.file,
            "line": case.line,
            "duration": case.duration,
            "status": case.status,
            "retries": case.retries,
            "message": case.message,
            "output": case.output,
        }


def ingest(db: ResultsDb, paths: Sequence[Path], ctx: IngestContext) -> IngestSummary:
    """Store every test case of ``paths``; all or nothing."""
    for path in paths:
        if not path.is_file():
            raise UserError(f"{path}: no such report file")
    at = ctx.recorded_at if ctx.recorded_at is not None else time.time()
    counts: Counter[str] = Counter()
    statement = insert(RESULTS)
    with db.writer.begin() as connection:
        repository_id = _repository(connection, ctx)
        inserted = connection.execute(
            insert(INGESTS).values(
                repository_id=repository_id,
                created_at=at,
                tier=ctx.tier,
                run_id=ctx.run_id,
                commit=ctx.commit,
                branch=ctx.branch,
                sources="\n".join(str(p) for p in paths),
                total=0,
            )
        ).inserted_primary_key
        ingest_id = int(inserted[0]) if inserted else 0
        chunk: list[dict[str, Any]] = []
        for path in paths:
            for row in _rows(read_report(path), (ingest_id, repository_id), ctx, at):
                counts[row["status"]] += 1
                chunk.append(row)
                if len(chunk) >= CHUNK:
                    connection.execute(statement, chunk)
                    chunk = []
        if chunk:
            connection.execute(statement, chunk)
        total = sum(counts.values())
        connection.execute(INGESTS.update().where(INGESTS.c.id == ingest_id).values(total=total))
    return IngestSummary(ingest_id, len(paths), total, dict(sorted(counts.items())), repository_id)


def _repository(connection: Connection, ctx: IngestContext) -> int:
    if ctx.run_id is not None:
        found = run_repository(connection, ctx.run_id)
        if found is None:
            raise UserError(
                f"--run {ctx.run_id}: no such run is recorded; give the id of a recorded run "
                "(see `conveyor runs`), or leave --run out"
            )
        return found
    if ctx.repository_id is None:
        raise ValueError("ingest needs a run id or a repository id")
    return ctx.repository_id
