"""``conveyor ingest``: store test reports, all files in one transaction.

Rows are inserted in chunks (Core ``insert`` executemany) while the files are parsed
inside one write transaction, so memory stays flat and an unreadable file rolls back
everything: nothing is ever half-ingested.

Each report is kept inside the state directory (:mod:`conveyor.results.keep`): a file
from elsewhere is copied, and the ingest row names the copy, never the user's file.
With a masker (an ingest during a run with secrets) every stored text field and every
kept file is masked first.
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, insert, select

from conveyor.engine.masking import Masker
from conveyor.errors import UserError
from conveyor.results.db import ResultsDb
from conveyor.results.jsonreport import parse_json_report
from conveyor.results.junit import parse_junit
from conveyor.results.keep import (
    keep_dir,
    keep_reports,
    mask_case,
    masked_digest,
    remove_copies,
)
from conveyor.results.model import TestCaseResult
from conveyor.store.repositories import run_folder_key, run_repository
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
    wall_time: float | None = None  # how long producing the reports took (a tier's session)
    # a report a workflow step wrote or uploaded (:mod:`conveyor.tiers.stepreports`)
    job_key: str | None = None
    step_index: int | None = None
    step_name: str | None = None
    digest: str | None = None  # sha256 of the masked file: one report, one ingest per run
    tier_of: Callable[[TestCaseResult], str] | None = None  # each case's tier (else ``tier``)


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


def _limits() -> dict[str, int]:
    """The length limit of each bounded text column of the results table."""
    found: dict[str, int] = {}
    for column in RESULTS.columns:
        length = getattr(column.type, "length", None)
        if isinstance(length, int):
            found[column.name] = length
    return found


_LIMITS = _limits()


def fit(value: str, limit: int) -> str:
    """``value`` cut to ``limit`` characters; a cut value ends in a digest of the whole, so
    two long ids that differ only at the end stay distinct (PostgreSQL rejects longer)."""
    if len(value) <= limit:
        return value
    digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return f"{value[: limit - len(digest) - 1]}~{digest}"


def _fitted(row: dict[str, Any]) -> dict[str, Any]:
    for key, limit in _LIMITS.items():
        value = row.get(key)
        if isinstance(value, str) and len(value) > limit:
            row[key] = fit(value, limit)
    return row


def _rows(
    cases: Iterable[TestCaseResult],
    ids: tuple[int, int],
    ctx: IngestContext,
    at: float,
    masker: Masker | None,
) -> Iterator[dict[str, Any]]:
    """Result rows, masked; ``ids``: (ingest id, repository id)."""
    ingest_id, repository_id = ids
    for raw in cases:
        case = mask_case(raw, masker)
        yield _fitted(
            {
                "ingest_id": ingest_id,
                "repository_id": repository_id,
                "recorded_at": at,
                "tier": ctx.tier_of(raw) if ctx.tier_of is not None else ctx.tier,
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
        )


def ingest(
    db: ResultsDb,
    paths: Sequence[Path],
    ctx: IngestContext,
    *,
    masker: Masker | None = None,
) -> IngestSummary:
    """Store every test case of ``paths`` and keep the files (masked by ``masker``); all or
    nothing."""
    for path in paths:
        if not path.is_file():
            raise UserError(f"{path}: no such report file")
    at = ctx.recorded_at if ctx.recorded_at is not None else time.time()
    digest = ctx.digest
    if digest is None and ctx.run_id is not None and len(paths) == 1:
        # a report ingested for a run by hand (`conveyor ingest --run` in a step) is one the
        # run's detection of step reports then knows (:func:`ingested_digest`)
        digest = masked_digest(paths[0], masker)
    counts: Counter[str] = Counter()
    tiers: Counter[str] = Counter()
    statement = insert(RESULTS)
    with db.writer.begin() as connection:
        repository_id, run_key = _run_of(connection, ctx)
        inserted = connection.execute(
            insert(INGESTS).values(
                repository_id=repository_id,
                created_at=at,
                tier=fit(ctx.tier, _LIMITS["tier"]),
                run_id=ctx.run_id,
                commit=fit(ctx.commit, _LIMITS["commit"]),
                branch=fit(ctx.branch, _LIMITS["branch"]),
                sources="",
                total=0,
                wall_time=ctx.wall_time,
                job_key=_bounded(ctx.job_key, "job_key"),
                step_index=ctx.step_index,
                step_name=_bounded(ctx.step_name, "step_name"),
                digest=digest,
            )
        ).inserted_primary_key
        ingest_id = int(inserted[0]) if inserted else 0
        chunk: list[dict[str, Any]] = []
        for path in paths:
            for row in _rows(read_report(path), (ingest_id, repository_id), ctx, at, masker):
                counts[row["status"]] += 1
                tiers[row["tier"]] += 1
                chunk.append(row)
                if len(chunk) >= CHUNK:
                    connection.execute(statement, chunk)
                    chunk = []
        if chunk:
            connection.execute(statement, chunk)
        total = sum(counts.values())
        directory = keep_dir(db.state_dir, run_key, ingest_id)
        kept = keep_reports(list(paths), directory, f"ingest{ingest_id}", masker)
        try:
            connection.execute(
                INGESTS.update()
                .where(INGESTS.c.id == ingest_id)
                .values(
                    total=total,
                    sources="\n".join(str(p) for p in kept),
                    # with a tier per case: the ingest's is the one most of them have
                    tier=tiers.most_common(1)[0][0] if tiers else fit(ctx.tier, _LIMITS["tier"]),
                )
            )
        except BaseException:
            remove_copies(kept, list(paths))
            raise
    return IngestSummary(ingest_id, len(paths), total, dict(sorted(counts.items())), repository_id)


def ingested_digest(db: ResultsDb, run_id: int, digest: str) -> bool:
    """Whether run ``run_id`` already ingested a report with this digest."""
    c = INGESTS.c
    with db.read() as connection:
        query = select(c.id).where(c.run_id == run_id, c.digest == digest).limit(1)
        return connection.execute(query).first() is not None


def _bounded(value: str | None, column: str) -> str | None:
    limit = getattr(INGESTS.c[column].type, "length", None)
    return fit(value, limit) if value is not None and isinstance(limit, int) else value


def _run_of(connection: Connection, ctx: IngestContext) -> tuple[int, str | None]:
    """(repository id, the run's folder key or None); a run that is not recorded is
    refused before anything is stored."""
    if ctx.run_id is not None:
        found = run_repository(connection, ctx.run_id)
        key = run_folder_key(connection, ctx.run_id)
        if found is None or key is None:
            raise UserError(
                f"--run {ctx.run_id}: no such run is recorded; give the id of a recorded run "
                "(see `conveyor runs`), or leave --run out"
            )
        return found, key
    if ctx.repository_id is None:
        raise ValueError("ingest needs a run id or a repository id")
    return ctx.repository_id, None
