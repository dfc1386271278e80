"""Flaky-test detection over the recorded results.

A test is flaky when, within the window of ``days``:

(a) it both passed and failed (or errored) on the same commit, or was reported ``flaky``
    (Surefire reruns), on at least one commit; or
(b) on the default branch its outcome flips often: over its last ``runs`` runs (one run
    per ingest, or per ``--run`` id when given), ``flips / (runs - 1) > threshold``.
    A run counts as failing when any result of the test in it failed.

``flaky_days`` counts the distinct (UTC) days of the commits of (a): a test that failed
against drifted infrastructure and passed once it was fixed is flaky on one day only, so
a tier's policy (``min_days``, see :mod:`conveyor.tiers.config`) can ask for more.
:func:`failed_every_run` tells when a quarantined test is simply broken.
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
from conveyor.results.tables import RESULTS

DAY = 86400.0
DEFAULT_DAYS = 30
DEFAULT_THRESHOLD = 0.1
DEFAULT_RUNS = 30


@dataclass(slots=True)
class FlakyTest:
    test_id: str
    flaky_commits: int = 0
    flaky_days: int = 0
    tier: str = ""  # the tier of its latest result
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


def _same_commit(connection: Connection, since: float) -> dict[str, tuple[int, int]]:
    """test id -> (commits, distinct days) where it both passed and failed (or was flaky)."""
    c = RESULTS.c
    passed, failed, flaky = _status_counts()
    query = (
        select(c.test_id, func.min(c.recorded_at))
        .where(c.recorded_at >= since, c.commit != "")
        .group_by(c.test_id, c.commit)
        .having(or_(and_(passed > 0, failed > 0), flaky > 0))
    )
    commits: dict[str, int] = {}
    days: dict[str, set[int]] = {}
    for test_id, first in connection.execute(query):
        key = str(test_id)
        commits[key] = commits.get(key, 0) + 1
        days.setdefault(key, set()).add(int(float(first) // DAY))
    return {key: (count, len(days[key])) for key, count in commits.items()}


def _latest_tiers(connection: Connection, ids: list[str]) -> dict[str, str]:
    """test id -> the tier of its newest result."""
    c = RESULTS.c
    found: dict[str, str] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        newest = (
            select(c.test_id, func.max(c.id).label("last"))
            .where(c.test_id.in_(chunk))
            .group_by(c.test_id)
            .subquery()
        )
        query = select(c.test_id, c.tier).join(newest, c.id == newest.c.last)
        found.update({str(t): str(tier or "") for t, tier in connection.execute(query)})
    return found


def failed_every_run(connection: Connection, test_id: str, tier: str, runs: int) -> bool:
    """True when ``test_id`` failed (on every attempt: retries that pass make it flaky, not
    failed) in each of its last ``runs`` runs of ``tier``, and has that many."""
    if runs < 1:
        return False
    c = RESULTS.c
    run_key = func.coalesce(c.run_id, -c.ingest_id)
    not_failed = func.sum(case((c.status.in_(sorted(FAILING)), 0), else_=1))
    query = (
        select(not_failed)
        .where(c.test_id == test_id, c.tier == tier)
        .group_by(run_key)
        .order_by(func.max(c.recorded_at).desc(), func.max(c.id).desc())
        .limit(runs)
    )
    counts = [int(n or 0) for (n,) in connection.execute(query)]
    return len(counts) == runs and not any(counts)


def _runs(connection: Connection, since: float, branch: str) -> Iterator[tuple[str, bool]]:
    """(test id, failed?) per test and run on ``branch``, by test then time."""
    c = RESULTS.c
    failed = func.max(case((c.status.in_(sorted(FAILING)), 1), else_=0))
    passed = func.max(case((c.status.in_((PASSED, FLAKY)), 1), else_=0))
    run_key = func.coalesce(c.run_id, -c.ingest_id)
    query = (
        select(c.test_id, failed, passed)
        .where(c.recorded_at >= since, c.branch == branch)
        .group_by(c.test_id, run_key)
        .order_by(c.test_id, func.min(c.recorded_at), run_key)
    )
    for test_id, any_failed, any_passed in connection.execute(query):
        if any_failed or any_passed:  # skipped-only runs say nothing
            yield str(test_id), bool(any_failed)


def _counts(connection: Connection, since: float) -> dict[str, tuple[int, int, int, float, float]]:
    c = RESULTS.c
    query = (
        select(c.test_id, *_status_counts(), func.min(c.recorded_at), func.max(c.recorded_at))
        .where(c.recorded_at >= since)
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
) -> list[FlakyTest]:
    """The flaky tests, most flaky first (then by id)."""
    since = (time.time() if now is None else now) - days * DAY
    found: dict[str, FlakyTest] = {}
    for test_id, (commits, days_seen) in _same_commit(connection, since).items():
        found[test_id] = FlakyTest(
            test_id, flaky_commits=commits, flaky_days=days_seen, reasons=["same-commit"]
        )
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

    for test_id, failed in _runs(connection, since, branch):
        if test_id != current:
            close(current)
            current = test_id
            window.clear()
        window.append(failed)
    close(current)
    counts = _counts(connection, since)
    for test_id, tier in _latest_tiers(connection, sorted(found)).items():
        found[test_id].tier = tier
    for entry in found.values():
        if entry.test_id in counts:
            entry.passed, entry.failed, entry.flaky, first, last = counts[entry.test_id]
            entry.first_seen, entry.last_seen = float(first), float(last)
    return sorted(found.values(), key=lambda f: (-f.flaky_commits, -f.flip_rate, f.test_id))
