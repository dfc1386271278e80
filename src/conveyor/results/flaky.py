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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from sqlalchemy import ColumnElement, Connection, String, case, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

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


@dataclass(frozen=True, slots=True)
class TierTestCounts:
    """One test's results in one tier over the window: one row of :func:`window_summary`."""

    tier: str
    test_id: str
    passed: int
    failed: int  # failed or errored
    flaky: int
    first: float
    last: float
    duration_sum: float  # over the results that have a duration
    timed: int  # how many have one
    last_id: int = 0  # the newest result's row id (orders results recorded at one time)


def window_summary(
    connection: Connection, since: float, repository_id: int | None
) -> list[TierTestCounts]:
    """Counts per tier and test over the window, in one pass (the stats and the flaky
    listing are computed from it)."""
    c = RESULTS.c
    query = (
        select(
            c.tier,
            c.test_id,
            *_status_counts(),
            func.min(c.recorded_at),
            func.max(c.recorded_at),
            func.sum(c.duration),
            func.count(c.duration),
            func.max(c.id),
        )
        .where(*in_window(since, repository_id))
        .group_by(c.tier, c.test_id)
    )
    return [
        TierTestCounts(
            str(tier),
            str(test_id),
            int(passed or 0),
            int(failed or 0),
            int(flaky or 0),
            float(first),
            float(last),
            float(total or 0.0),
            int(timed or 0),
            int(last_id or 0),
        )
        for tier, test_id, passed, failed, flaky, first, last, total, timed, last_id in (
            connection.execute(query)
        )
    ]


class _unindexed(FunctionElement[str]):
    """A column no index may be chosen for (SQLite's unary ``+``; elsewhere the column).

    Filtering the window by ``test_id IN (...)``, SQLite would otherwise look those tests
    up by test id through all of their history instead of reading the window through its
    (repository, recorded_at) index."""

    inherit_cache = True
    type = String()


@compiles(_unindexed)
def _unindexed_default(element: _unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    return str(compiler.process(element.clauses, **kw))


@compiles(_unindexed, "sqlite")
def _unindexed_sqlite(element: _unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    return "+" + str(compiler.process(element.clauses, **kw))


_LITERAL_IDS = 5000  # more candidate tests than this: filter by a subquery instead


@dataclass(slots=True)
class _Group:
    """One test's results in one run on one commit and branch."""

    test_id: str
    run_key: int  # the run id, else minus the ingest id
    commit: str
    branch: str
    passed: int
    failed: int
    flaky: int
    first: float


def _history(
    connection: Connection, since: float, repository_id: int | None, tests: list[str] | None
) -> list[_Group]:
    """The window's results of ``tests`` (every test with None) per run, commit, branch."""
    c = RESULTS.c
    run_key = func.coalesce(c.run_id, -c.ingest_id)
    query = select(
        c.test_id, run_key, c.commit, c.branch, *_status_counts(), func.min(c.recorded_at)
    ).where(*in_window(since, repository_id))
    if tests is not None and len(tests) <= _LITERAL_IDS:
        query = query.where(_unindexed(c.test_id).in_(tests))
    elif tests is not None:
        statuses = sorted({*FAILING, FLAKY})
        candidates = select(c.test_id).where(
            *in_window(since, repository_id), c.status.in_(statuses)
        )
        query = query.where(_unindexed(c.test_id).in_(candidates))
    query = query.group_by(c.test_id, run_key, c.commit, c.branch)
    return [
        _Group(str(t), int(k), str(cm), str(b), int(p or 0), int(f or 0), int(fl or 0), float(at))
        for t, k, cm, b, p, f, fl, at in connection.execute(query)
    ]


def _same_commit(groups: Iterable[_Group]) -> dict[str, tuple[int, int]]:
    """test id -> (commits, distinct days of them) where it both passed and failed (or was
    flaky); a commit's day is the day of its first result."""
    per_commit: dict[tuple[str, str], list[float]] = {}
    for g in groups:
        if g.commit:
            counts = per_commit.setdefault((g.test_id, g.commit), [0, 0, 0, g.first])
            counts[0] += g.passed
            counts[1] += g.failed
            counts[2] += g.flaky
            counts[3] = min(counts[3], g.first)
    commits: dict[str, int] = {}
    days: dict[str, set[int]] = {}
    for (test_id, _commit), (passed, failed, flaky, first) in per_commit.items():
        if (passed and failed) or flaky:
            commits[test_id] = commits.get(test_id, 0) + 1
            days.setdefault(test_id, set()).add(int(first // DAY))
    return {test_id: (count, len(days[test_id])) for test_id, count in commits.items()}


def _latest_tiers(summary: Iterable[TierTestCounts]) -> dict[str, str]:
    """test id -> the tier of its newest result in the window."""
    newest: dict[str, tuple[float, int, str]] = {}
    for row in summary:
        key = (row.last, row.last_id)
        if row.test_id not in newest or key > newest[row.test_id][:2]:
            newest[row.test_id] = (row.last, row.last_id, row.tier)
    return {test_id: tier for test_id, (_at, _id, tier) in newest.items()}


def failed_every_run(
    connection: Connection,
    test_id: str,
    tier: str,
    runs: int,
    repository_id: int | None = None,
) -> bool:
    """True when ``test_id`` failed (on every attempt: retries that pass make it flaky, not
    failed) in each of its last ``runs`` runs of ``tier``, and has that many."""
    if runs < 1:
        return False
    c = RESULTS.c
    run_key = func.coalesce(c.run_id, -c.ingest_id)
    not_failed = func.sum(case((c.status.in_(sorted(FAILING)), 0), else_=1))
    query = select(not_failed).where(c.test_id == test_id, c.tier == tier)
    if repository_id is not None:
        query = query.where(c.repository_id == repository_id)
    query = (
        query.group_by(run_key)
        .order_by(func.max(c.recorded_at).desc(), func.max(c.id).desc())
        .limit(runs)
    )
    counts = [int(n or 0) for (n,) in connection.execute(query)]
    return len(counts) == runs and not any(counts)


def _runs(groups: Iterable[_Group], branch: str) -> dict[str, list[bool]]:
    """test id -> failed? per run on ``branch``, oldest run first (skipped-only runs say
    nothing). A run counts as failing when any result of the test in it failed."""
    per_run: dict[tuple[str, int], list[Any]] = {}
    for g in groups:
        if g.branch != branch:
            continue
        entry = per_run.setdefault((g.test_id, g.run_key), [False, False, g.first])
        entry[0] = entry[0] or g.failed > 0
        entry[1] = entry[1] or g.passed > 0 or g.flaky > 0
        entry[2] = min(entry[2], g.first)
    ordered = sorted(per_run.items(), key=lambda item: (item[0][0], item[1][2], item[0][1]))
    found: dict[str, list[bool]] = {}
    for (test_id, _run), (failed, passed, _at) in ordered:
        if failed or passed:
            found.setdefault(test_id, []).append(failed)
    return found


def _counts(summary: Iterable[TierTestCounts]) -> dict[str, tuple[int, int, int, float, float]]:
    """test id -> (passed, failed, flaky, first seen, last seen) over every tier."""
    found: dict[str, tuple[int, int, int, float, float]] = {}
    for row in summary:
        old = found.get(row.test_id)
        if old is None:
            found[row.test_id] = (row.passed, row.failed, row.flaky, row.first, row.last)
        else:
            found[row.test_id] = (
                old[0] + row.passed,
                old[1] + row.failed,
                old[2] + row.flaky,
                min(old[3], row.first),
                max(old[4], row.last),
            )
    return found


def find_flaky(
    connection: Connection,
    *,
    days: float = DEFAULT_DAYS,
    threshold: float = DEFAULT_THRESHOLD,
    runs: int = DEFAULT_RUNS,
    branch: str = "main",
    now: float | None = None,
    repository_id: int | None = None,
    summary: Sequence[TierTestCounts] | None = None,
) -> list[FlakyTest]:
    """The flaky tests of the repository (of every one, with None), most flaky first (then
    by id). ``summary``: the window's :func:`window_summary`, when already read.

    Only tests that failed or were flaky in the window can have flipped or both passed and
    failed on a commit, so only their history is read (unless a negative ``threshold``
    makes zero flips count)."""
    since = (time.time() if now is None else now) - days * DAY
    if summary is None:
        summary = window_summary(connection, since, repository_id)
    counts = _counts(summary)
    tests = None if threshold < 0 else sorted(t for t, n in counts.items() if n[1] or n[2])
    groups = _history(connection, since, repository_id, tests) if tests != [] else []
    found: dict[str, FlakyTest] = {}
    for test_id, (commits, days_seen) in _same_commit(groups).items():
        found[test_id] = FlakyTest(
            test_id, flaky_commits=commits, flaky_days=days_seen, reasons=["same-commit"]
        )
    for test_id, outcomes in _runs(groups, branch).items():
        last = outcomes[-max(2, runs) :]
        if len(last) < 2:
            continue
        flips = sum(1 for a, b in pairwise(last) if a != b)
        rate = flips / (len(last) - 1)
        entry = found.get(test_id)
        if rate > threshold or entry is not None:
            entry = found.setdefault(test_id, FlakyTest(test_id))
            entry.flips, entry.runs = flips, len(last)
            if rate > threshold:
                entry.reasons.append("flip-rate")
    tiers = _latest_tiers(summary)
    for entry in found.values():
        entry.tier = tiers.get(entry.test_id, "")
        if entry.test_id in counts:
            entry.passed, entry.failed, entry.flaky, first, last_seen = counts[entry.test_id]
            entry.first_seen, entry.last_seen = first, last_seen
    return sorted(found.values(), key=lambda f: (-f.flaky_commits, -f.flip_rate, f.test_id))
