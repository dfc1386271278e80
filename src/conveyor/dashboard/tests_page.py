"""Page 3, test health: per tier passed/failed/skipped/flaky, the newest failures (message,
file:line, the run's log), the slowest tests, flaky tests with their flip rates and
whether they are quarantined. Counts come from :func:`conveyor.results.stats.compute_stats`
(the same numbers as ``conveyor stats``)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from sqlalchemy import func, select

from conveyor.dashboard.source import Sources
from conveyor.results.flaky import DAY, in_window
from conveyor.results.model import FAILING
from conveyor.results.stats import Stats, compute_stats
from conveyor.store.results_models import QUARANTINE, RESULTS

FAILURES = 25
STATS_SECONDS = 60.0  # the window's counts (conveyor stats) are read again after this long


@dataclass(slots=True)
class TierCounts:
    tier: str
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    flaky: int = 0


@dataclass(frozen=True, slots=True)
class Failure:
    id: int
    test_id: str
    tier: str
    run_id: int | None
    file: str | None
    line: int | None
    message: str
    output: str
    recorded_at: float

    @property
    def headline(self) -> str:
        return (self.message.strip().splitlines() or [""])[0][:300]


@dataclass(slots=True)
class TestsPage:
    __test__ = False
    days: int
    stats: Stats
    computed_at: float  # when the counts were read (kept STATS_SECONDS)
    tiers: list[TierCounts] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    quarantined: set[str] = field(default_factory=set)


def _tier_counts(connection: object, since: float) -> list[TierCounts]:
    c = RESULTS.c
    query = (
        select(c.tier, c.status, func.count())
        .where(*in_window(since, None))
        .group_by(c.tier, c.status)
    )
    found: dict[str, TierCounts] = {}
    for tier, status, count in connection.execute(query):  # type: ignore[attr-defined]
        entry = found.setdefault(str(tier or "default"), TierCounts(str(tier or "default")))
        key = "failed" if status in FAILING else str(status)
        if key in ("passed", "failed", "skipped", "flaky"):
            setattr(entry, key, getattr(entry, key) + int(count))
    return [found[name] for name in sorted(found)]


def _counts(sources: Sources, days: int) -> tuple[Stats, list[TierCounts], float]:
    """:func:`compute_stats` and the per-tier counts of the window, kept for
    :data:`STATS_SECONDS` (they aggregate every result of the window)."""

    def compute() -> tuple[Stats, list[TierCounts], float]:
        now = time.time()
        with sources.engine.connect() as connection:
            stats = compute_stats(connection, days=days, targets=sources.targets(), now=now)
            return stats, _tier_counts(connection, now - days * DAY), now

    return sources.cached(f"tests:{days}", STATS_SECONDS, compute)


def tests_page(sources: Sources, days: int) -> TestsPage:
    """The counts (kept a minute), then what changes under the viewer's hands: the newest
    failures and the quarantine, read on every request."""
    stats, tiers, computed_at = _counts(sources, days)
    since = time.time() - days * DAY
    c = RESULTS.c
    page = TestsPage(days, stats, computed_at, tiers=tiers)
    with sources.engine.connect() as connection:
        rows = connection.execute(
            select(c.id, c.test_id, c.tier, c.run_id, c.file, c.line, c.message, c.output,
                   c.recorded_at)
            .where(c.recorded_at >= since, c.status.in_(sorted(FAILING)))
            .order_by(c.recorded_at.desc(), c.id.desc())
            .limit(FAILURES)
        )  # fmt: skip
        page.failures = [
            Failure(int(r.id), str(r.test_id), str(r.tier or "default"), r.run_id, r.file,
                    r.line, str(r.message or ""), str(r.output or "")[-4000:],
                    float(r.recorded_at))
            for r in rows
        ]  # fmt: skip
        page.quarantined = {
            str(t) for (t,) in connection.execute(select(QUARANTINE.c.test_id).distinct())
        }
    return page
