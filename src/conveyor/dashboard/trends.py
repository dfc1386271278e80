"""Page 4, trends over 7/30/90 days, per UTC day: success rate, duration p50/p95 per
workflow, pass rate per tier, flaky rate, failure categories; each chart with its
``conveyor.toml`` target as a line. Aggregated in SQL (percentiles too, on PostgreSQL);
on SQLite the durations are ranked here, with :func:`conveyor.results.stats.p95`'s
nearest rank."""

from __future__ import annotations

import math
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Integer, cast, func, select

from conveyor.dashboard.charts import Series, line_chart, stacked_bars
from conveyor.dashboard.source import Sources
from conveyor.reporting.categories import classify
from conveyor.reporting.durations import format_duration
from conveyor.results.flaky import DAY, count_where
from conveyor.results.model import FAILING, FLAKY, PASSED
from conveyor.store.models import RunRow
from conveyor.store.results_models import RESULTS

WINDOWS = (7, 30, 90)
TOP_WORKFLOWS = 6
CATEGORY_SAMPLE = 5000  # newest failures classified for the categories chart


@dataclass(slots=True)
class TrendsPage:
    days: int
    charts: list[str] = field(default_factory=list)
    workflow_charts: list[str] = field(default_factory=list)


def _day(column: Any, postgres: bool) -> Any:
    if postgres:
        return func.floor(column / DAY)
    return cast(column / DAY, Integer)


def _rank(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


RunDays = dict[str, dict[float, tuple[int, int, float | None, float | None]]]
TestDays = dict[str, dict[float, tuple[int, int, int]]]
CategoryDays = dict[str, dict[float, int]]
PAST_SECONDS = 300.0  # days before today are read again after this long (late ingests)


def _run_days(connection: Connection, since: float, until: float, postgres: bool) -> RunDays:
    """workflow -> day -> (runs, successes, p50, p95)."""
    c = RunRow.__table__.c
    day = _day(c.created_at, postgres).label("day")
    window = [c.created_at >= since, c.created_at < until, c.conclusion.is_not(None)]
    found: dict[str, dict[float, tuple[int, int, float | None, float | None]]] = defaultdict(dict)
    if postgres:
        query = (
            select(
                c.workflow_name,
                day,
                func.count(),
                count_where(c.conclusion == "success"),
                func.percentile_disc(0.5).within_group(c.duration),
                func.percentile_disc(0.95).within_group(c.duration),
            )
            .where(*window)
            .group_by(c.workflow_name, day)
        )
        for name, d, runs, ok, p50, p95 in connection.execute(query):
            found[str(name)][float(d) * DAY] = (
                int(runs), int(ok or 0),
                None if p50 is None else float(p50), None if p95 is None else float(p95),
            )  # fmt: skip
        return found
    rows: dict[tuple[str, float], list[tuple[str, float | None]]] = defaultdict(list)
    for name, d, conclusion, duration in connection.execute(
        select(c.workflow_name, day, c.conclusion, c.duration).where(*window)
    ):
        rows[(str(name), float(d) * DAY)].append((str(conclusion), duration))
    for (name, at), items in rows.items():
        durations = [float(v) for _, v in items if v is not None]
        found[name][at] = (
            len(items),
            sum(1 for c_, _ in items if c_ == "success"),
            _rank(durations, 0.5) if durations else None,
            _rank(durations, 0.95) if durations else None,
        )
    return found


def _test_days(connection: Connection, since: float, until: float, postgres: bool) -> TestDays:
    """tier -> day -> (passed, failed, flaky)."""
    c = RESULTS.c
    day = _day(c.recorded_at, postgres).label("day")
    query = (
        select(
            c.tier,
            day,
            count_where(c.status == PASSED),
            count_where(c.status.in_(sorted(FAILING))),
            count_where(c.status == FLAKY),
        )
        .where(c.recorded_at >= since, c.recorded_at < until)
        .group_by(c.tier, day)
    )
    found: dict[str, dict[float, tuple[int, int, int]]] = defaultdict(dict)
    for tier, d, passed, failed, flaky in connection.execute(query):
        found[str(tier or "default")][float(d) * DAY] = (
            int(passed or 0), int(failed or 0), int(flaky or 0),
        )  # fmt: skip
    return found


def _categories(connection: Connection, since: float, until: float, postgres: bool) -> CategoryDays:
    c = RESULTS.c
    day = _day(c.recorded_at, postgres).label("day")
    query = (
        select(day, func.substr(c.message, 1, 2000))
        .where(c.recorded_at >= since, c.recorded_at < until, c.status.in_(sorted(FAILING)))
        .order_by(c.recorded_at.desc())
        .limit(CATEGORY_SAMPLE)
    )
    found: dict[str, dict[float, int]] = defaultdict(lambda: defaultdict(int))
    for d, message in connection.execute(query):
        found[classify(str(message or ""))][float(d) * DAY] += 1
    return {name: dict(days) for name, days in found.items()}


def _read(sources: Sources, since: float, until: float) -> tuple[RunDays, TestDays, CategoryDays]:
    with sources.engine.connect() as connection:
        postgres = connection.dialect.name == "postgresql"
        return (
            dict(_run_days(connection, since, until, postgres)),
            dict(_test_days(connection, since, until, postgres)),
            _categories(connection, since, until, postgres),
        )


def _days(
    sources: Sources, start: float, today: float, now: float
) -> tuple[RunDays, TestDays, CategoryDays]:
    """The window's days: the ones before today kept for :data:`PAST_SECONDS` (closed
    days do not change but for late ingests), today read on every request."""
    past = sources.cached(
        f"trends:{start}:{today}", PAST_SECONDS, lambda: _read(sources, start, today)
    )
    fresh = _read(sources, today, now + DAY)
    return _merge(past[0], fresh[0]), _merge(past[1], fresh[1]), _merge(past[2], fresh[2])


def _merge(old: dict[str, dict[float, Any]], new: dict[str, dict[float, Any]]) -> Any:
    both = {key: dict(days) for key, days in old.items()}
    for key, days in new.items():
        both.setdefault(key, {}).update(days)
    return both


def _pct(value: float) -> str:
    return f"{value * 100:.0f} %"


def trends_page(sources: Sources, days: int) -> TrendsPage:
    days = days if days in WINDOWS else 30
    now = time.time()
    start = math.floor((now - days * DAY) / DAY) * DAY
    end = math.floor(now / DAY) * DAY
    targets = sources.targets()
    page = TrendsPage(days)
    runs, tests, categories = _days(sources, start, end, now)
    totals: dict[float, list[int]] = defaultdict(lambda: [0, 0])
    for per_day in runs.values():
        for at, (count, ok, _, _) in per_day.items():
            totals[at][0] += count
            totals[at][1] += ok
    page.charts.append(
        line_chart(
            "Success rate, all workflows",
            [Series("success rate", [(at, ok / n) for at, (n, ok) in sorted(totals.items())])],
            target=targets.success_rate, target_label="target", fmt=_pct, y_max=1.0,
            start=start, end=end,
        )
    )  # fmt: skip
    page.charts.append(
        line_chart(
            "Test pass rate per tier",
            [
                Series(tier, [(at, (p + f) / (p + f + x)) for at, (p, x, f) in sorted(d.items())
                              if p + f + x])
                for tier, d in sorted(tests.items())
            ],
            target=targets.success_rate, fmt=_pct, y_max=1.0, start=start, end=end,
        )
    )  # fmt: skip
    flaky: dict[float, list[int]] = defaultdict(lambda: [0, 0])
    for tier_days in tests.values():
        for at, (p, x, f) in tier_days.items():
            flaky[at][0] += f
            flaky[at][1] += p + x + f
    page.charts.append(
        line_chart(
            "Flaky rate (flaky results / results)",
            [Series("flaky", [(at, f / n) for at, (f, n) in sorted(flaky.items()) if n])],
            target=targets.flakiness, target_label="limit",
            fmt=lambda v: f"{v * 100:.1f} %", start=start, end=end,
        )
    )  # fmt: skip
    day_list = [start + i * DAY for i in range(days + 1)]
    page.charts.append(stacked_bars("Failure categories", day_list, categories))
    busiest = sorted(runs, key=lambda name: -sum(v[0] for v in runs[name].values()))
    for name in busiest[:TOP_WORKFLOWS]:
        by_day = sorted(runs[name].items())
        target = targets.duration_for(name)
        page.workflow_charts.append(
            line_chart(
                f"{name}: duration p50 / p95",
                [
                    Series("p50", [(at, v[2]) for at, v in by_day if v[2] is not None]),
                    Series("p95", [(at, v[3]) for at, v in by_day if v[3] is not None]),
                ],
                target=target.max_seconds if target else None,
                target_label=f"target ({target.name})" if target else "target",
                fmt=format_duration, start=start, end=end,
            )
        )  # fmt: skip
        page.workflow_charts.append(
            line_chart(
                f"{name}: success rate",
                [Series("success rate", [(at, v[1] / v[0]) for at, v in by_day if v[0]])],
                target=targets.success_rate, fmt=_pct, y_max=1.0, start=start, end=end,
            )
        )  # fmt: skip
    return page
