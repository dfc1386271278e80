"""Flaky-test detection over the recorded results.

A test is flaky when, within the window of ``days``:

(a) it both passed and failed (or errored) on the same commit, or was reported ``flaky``
    (Surefire reruns), on at least one commit; or
(b) on the default branch its outcome flips often: over its last ``runs`` runs (one run
    per ingest, or per ``--run`` id when given), ``flips / (runs - 1) > threshold``.
    A run counts as failing when any result of the test in it failed.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, case, func, or_, select

from conveyor.results.model import FAILING, FLAKY, PASSED
from conveyor.store.results_models import RESULTS

DAY = 86400.0
DEFAULT_DAYS = 30
DEFAULT_THRESHOLD = 0.1
DEFAULT_RUNS = 30


@dataclass(slots=True)
class FlakyTest:
    test_id: str
    flaky_commits: int = 0
    flips: int = 0
    runs: int = 0
    passed: int = 0
    failed: int = 0
    flaky: int = 0
    first_seen: float = 0.0
    last_seen: float = 0.0
    reasons: list[str] = field(default_factory=list)

    @property
    def flip_rate(self) -> float:
        return self.flips / (self.runs - 1) if self.runs > 1 else 0.0


def in_window(since: float, repository_id: int | None) -> list[ColumnElement[bool]]:
    """SQL: results recorded since ``since`` in the repository (in any, with None)."""
    c = RESULTS.c
    if repository_id is None:
        return [c.recorded_at >= since]
    return [c.repository_id == repository_id, c.recorded_at >= since]


def count_where(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    """SQL: how many rows of the group meet ``condition``."""
    return func.sum(case((condition, 1), else_=0))


def _status_counts() -> tuple[ColumnElement[Any], ColumnElement[Any], ColumnElement[Any]]:
    """SQL: how many rows of the group passed, failed (or errored), were flaky."""
    status = RESULTS.c.status
    return (
        count_where(status == PASSED),
        count_where(status.in_(sorted(FAILING))),
        count_where(status == FLAKY),
    )


def _same_commit(connection: Connection, since: float, repository_id: int | None) -> dict[str, int]:
    """test id -> number of commits where it both passed and failed (or was flaky)."""
    c = RESULTS.c
    passed, failed, flaky = _status_counts()
    per_commit = (
        select(c.test_id)
        .where(*in_window(since, repository_id), c.commit != "")
        .group_by(c.test_id, c.commit)
        .having(or_(and_(passed > 0, failed > 0), flaky > 0))
        .subquery()
    )
    query = select(per_commit.c.test_id, func.count()).group_by(per_commit.c.test_id)
    return {str(test_id): int(count) for test_id, count in connection.execute(query)}


def _runs(
    connection: Connection, since: float, branch: str, repository_id: int | None
) -> Iterator[tuple[str, bool]]:
    """(test id, failed?) per test and run on ``branch``, by test then time."""
    c = RESULTS.c
    failed = func.max(case((c.status.in_(sorted(FAILING)), 1), else_=0))
    passed = func.max(case((c.status.in_((PASSED, FLAKY)), 1), else_=0))
    run_key = func.coalesce(c.run_id, -c.ingest_id)
    query = (
        select(c.test_id, failed, passed)
        .where(*in_window(since, repository_id), c.branch == branch)
        .group_by(c.test_id, run_key)
        .order_by(c.test_id, func.min(c.recorded_at), run_key)
    )
    for test_id, any_failed, any_passed in connection.execute(query):
        if any_failed or any_passed:  # skipped-only runs say nothing
            yield str(test_id), bool(any_failed)


def _counts(
    connection: Connection, since: float, repository_id: int | None
) -> dict[str, tuple[int, int, int, float, float]]:
    c = RESULTS.c
    query = (
        select(c.test_id, *_status_counts(), func.min(c.recorded_at), func.max(c.recorded_at))
        .where(*in_window(since, repository_id))
        .group_by(c.test_id)
    )
    return {
        str(row[0]): (int(row[1] or 0), int(row[2] or 0), int(row[3] or 0), row[4], row[5])
        for row in connection.execute(query)
    }


def find_flaky(
    connection: Connection,
    *,
    days: float = DEFAULT_DAYS,
    threshold: float = DEFAULT_THRESHOLD,
    runs: int = DEFAULT_RUNS,
    branch: str = "main",
    now: float | None = None,
    repository_id: int | None = None,
) -> list[FlakyTest]:
    """The flaky tests of the repository (of every one, with None), most flaky first (then
    by id)."""
    since = (time.time() if now is None else now) - days * DAY
    found: dict[str, FlakyTest] = {}
    for test_id, commits in _same_commit(connection, since, repository_id).items():
        found[test_id] = FlakyTest(test_id, flaky_commits=commits, reasons=["same-commit"])
    current: str | None = None
    window: deque[bool] = deque(maxlen=max(2, runs))

    def close(test_id: str | None) -> None:
        if test_id is None or len(window) < 2:
            return
        outcomes = list(window)
        flips = sum(1 for a, b in pairwise(outcomes) if a != b)
        rate = flips / (len(outcomes) - 1)
        entry = found.get(test_id)
        if rate > threshold or entry is not None:
            entry = found.setdefault(test_id, FlakyTest(test_id))
            entry.flips, entry.runs = flips, len(outcomes)
            if rate > threshold:
                entry.reasons.append("flip-rate")

    for test_id, failed in _runs(connection, since, branch, repository_id):
        if test_id != current:
            close(current)
            current = test_id
            window.clear()
        window.append(failed)
    close(current)
    counts = _counts(connection, since, repository_id)
    for entry in found.values():
        if entry.test_id in counts:
            entry.passed, entry.failed, entry.flaky, first, last = counts[entry.test_id]
            entry.first_seen, entry.last_seen = float(first), float(last)
    return sorted(found.values(), key=lambda f: (-f.flaky_commits, -f.flip_rate, f.test_id))
