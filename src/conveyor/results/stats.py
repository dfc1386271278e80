"""``conveyor stats``: workflow success and duration, tier pass rates, flakiness, slow tests."""

from __future__ import annotations

import math
import time
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import Connection, func, select

from conveyor.results.flaky import DAY, count_where, find_flaky, in_window
from conveyor.results.model import FAILING, FLAKY, PASSED
from conveyor.results.targets import Targets
from conveyor.store.models import RunRow
from conveyor.store.results_models import RESULTS

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


def p95(values: list[float]) -> float | None:
    """Nearest-rank 95th percentile."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def _workflows(
    connection: Connection, since: float, targets: Targets, repository_id: int | None
) -> list[WorkflowStats]:
    runs = RunRow.__table__.c
    query = select(runs.workflow_name, runs.conclusion, runs.duration).where(
        runs.created_at >= since, runs.conclusion.is_not(None)
    )
    if repository_id is not None:
        query = query.where(runs.repository_id == repository_id)
    grouped: dict[str, list[tuple[str, float | None]]] = defaultdict(list)
    for name, conclusion, duration in connection.execute(query):
        grouped[str(name)].append((str(conclusion), duration))
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
    return found


def _tiers(
    connection: Connection, since: float, targets: Targets, repository_id: int | None
) -> list[TierStats]:
    c = RESULTS.c
    counted = c.status.in_((PASSED, FLAKY, *sorted(FAILING)))
    query = (
        select(c.tier, count_where(counted), count_where(c.status.in_((PASSED, FLAKY))))
        .where(*in_window(since, repository_id))
        .group_by(c.tier)
        .order_by(c.tier)
    )
    found = []
    for tier, executed, succeeded in connection.execute(query):
        tests, passed = int(executed or 0), int(succeeded or 0)
        rate = passed / tests if tests else 1.0
        found.append(TierStats(str(tier), tests, passed, rate, rate >= targets.success_rate))
    return found


def _slowest(connection: Connection, since: float, repository_id: int | None) -> list[SlowTest]:
    c = RESULTS.c
    mean = func.avg(c.duration)
    query = (
        select(c.test_id, mean, func.count())
        .where(*in_window(since, repository_id), c.duration.is_not(None))
        .group_by(c.test_id)
        .order_by(mean.desc(), c.test_id)
        .limit(SLOWEST)
    )
    return [SlowTest(str(t), float(m), int(n)) for t, m, n in connection.execute(query)]


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
    stats.workflows = _workflows(connection, since, chosen, repository_id)
    stats.tiers = _tiers(connection, since, chosen, repository_id)
    seen = select(func.count(func.distinct(RESULTS.c.test_id))).where(
        *in_window(since, repository_id)
    )
    stats.tests_seen = int(connection.execute(seen).scalar_one() or 0)
    found = find_flaky(connection, days=days, now=current, repository_id=repository_id)
    stats.flaky_tests = len(found)
    stats.flaky_rate = stats.flaky_tests / stats.tests_seen if stats.tests_seen else 0.0
    stats.flaky_ok = stats.flaky_rate <= chosen.flakiness
    stats.slowest = _slowest(connection, since, repository_id)
    return stats
