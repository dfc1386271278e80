"""``conveyor stats``: workflow success and duration (and how the median duration moved
against the window before), tier pass rates, flakiness, slow tests, benchmark trends."""

from __future__ import annotations

import math
import statistics
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import Connection, select

from conveyor.results.flaky import DAY, FlakyTest, TierTestCounts, find_flaky, window_summary
from conveyor.results.perf import Trend, trends
from conveyor.results.targets import Targets
from conveyor.store.models import RunRow

SLOWEST = 10


@dataclass(slots=True)
class WorkflowStats:
    workflow: str
    runs: int
    successes: int
    success_rate: float
    mean_duration: float | None
    p95_duration: float | None
    duration_target: float | None = None
    success_ok: bool = True
    duration_ok: bool | None = None
    median_duration: float | None = None
    previous_median: float | None = None  # of the window before (as long as this one)
    duration_trend: float | None = None  # relative change of the median: +0.2 = 20 % longer


@dataclass(slots=True)
class TierStats:
    tier: str
    tests: int
    passed: int
    pass_rate: float
    ok: bool = True


@dataclass(slots=True)
class SlowTest:
    test_id: str
    mean_duration: float
    runs: int


@dataclass(slots=True)
class Stats:
    days: float
    workflows: list[WorkflowStats] = field(default_factory=list)
    tiers: list[TierStats] = field(default_factory=list)
    tests_seen: int = 0
    flaky_tests: int = 0
    flaky_rate: float = 0.0
    flaky_ok: bool = True
    slowest: list[SlowTest] = field(default_factory=list)
    targets: Targets = field(default_factory=Targets)
    benchmarks: list[Trend] = field(default_factory=list)  # on the default branch, worst first
    flaky: list[FlakyTest] = field(default_factory=list)  # most flaky first


def p95(values: list[float]) -> float | None:
    """Nearest-rank 95th percentile."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def _workflows(
    connection: Connection,
    since: float,
    targets: Targets,
    repository_id: int | None,
    now: float,
) -> list[WorkflowStats]:
    runs = RunRow.__table__.c
    window = max(0.0, now - since)
    query = select(runs.workflow_name, runs.conclusion, runs.duration, runs.created_at).where(
        runs.created_at >= since - window, runs.conclusion.is_not(None)
    )
    if repository_id is not None:
        query = query.where(runs.repository_id == repository_id)
    grouped: dict[str, list[tuple[str, float | None]]] = defaultdict(list)
    earlier: dict[str, list[float]] = defaultdict(list)
    for name, conclusion, duration, created in connection.execute(query):
        if created >= since:
            grouped[str(name)].append((str(conclusion), duration))
        elif duration is not None:
            earlier[str(name)].append(float(duration))
    found: list[WorkflowStats] = []
    for name in sorted(grouped):
        rows = grouped[name]
        durations = [float(d) for _, d in rows if d is not None]
        successes = sum(1 for c, _ in rows if c == "success")
        rate = successes / len(rows)
        target = targets.duration_for(name)
        high = p95(durations)
        found.append(
            WorkflowStats(
                workflow=name,
                runs=len(rows),
                successes=successes,
                success_rate=rate,
                mean_duration=sum(durations) / len(durations) if durations else None,
                p95_duration=high,
                duration_target=target.max_seconds if target else None,
                success_ok=rate >= targets.success_rate,
                duration_ok=(high <= target.max_seconds) if target and high is not None else None,
            )
        )
        current, previous = _median(durations), _median(earlier.get(name, []))
        found[-1].median_duration, found[-1].previous_median = current, previous
        if current is not None and previous:
            found[-1].duration_trend = current / previous - 1
    return found


def _tiers(summary: Sequence[TierTestCounts], targets: Targets) -> list[TierStats]:
    executed: dict[str, int] = defaultdict(int)
    succeeded: dict[str, int] = defaultdict(int)
    for row in summary:
        executed[row.tier] += row.passed + row.flaky + row.failed
        succeeded[row.tier] += row.passed + row.flaky
    found = []
    for tier in sorted(executed):
        tests, passed = executed[tier], succeeded[tier]
        rate = passed / tests if tests else 1.0
        found.append(TierStats(tier, tests, passed, rate, rate >= targets.success_rate))
    return found


def _slowest(summary: Sequence[TierTestCounts]) -> list[SlowTest]:
    totals: dict[str, float] = defaultdict(float)
    timed: dict[str, int] = defaultdict(int)
    for row in summary:
        if row.timed:
            totals[row.test_id] += row.duration_sum
            timed[row.test_id] += row.timed
    means = [SlowTest(test, totals[test] / count, count) for test, count in timed.items()]
    means.sort(key=lambda s: (-s.mean_duration, s.test_id))
    return means[:SLOWEST]


def compute_stats(
    connection: Connection,
    *,
    days: float = 7,
    targets: Targets | None = None,
    now: float | None = None,
    repository_id: int | None = None,
) -> Stats:
    """Stats of the repository (of every one, with None) over the last ``days``."""
    chosen = targets or Targets()
    current = time.time() if now is None else now
    since = current - days * DAY
    stats = Stats(days=days, targets=chosen)
    stats.workflows = _workflows(connection, since, chosen, repository_id, current)
    summary = window_summary(connection, since, repository_id)
    stats.tiers = _tiers(summary, chosen)
    stats.tests_seen = len({row.test_id for row in summary})
    found = find_flaky(
        connection, days=days, now=current, repository_id=repository_id, summary=summary
    )
    stats.flaky = found
    stats.flaky_tests = len(found)
    stats.flaky_rate = stats.flaky_tests / stats.tests_seen if stats.tests_seen else 0.0
    stats.flaky_ok = stats.flaky_rate <= chosen.flakiness
    stats.slowest = _slowest(summary)
    stats.benchmarks = trends(connection, repository_id, since=since)
    return stats
