"""Benchmark results in the history database: ``conveyor perf ingest`` and ``conveyor
perf check`` (and ``conveyor/perf@v1``), and the trends ``conveyor stats`` and the nightly
report show.

**ingest** stores each measurement of the files (:mod:`.perf_formats`) as a row of
``benchmark_results`` with the run, commit and branch, all or nothing.

**check** takes each benchmark's history on the default branch (oldest first) and asks
:func:`~conveyor.results.perf_detect.find_change` whether its newest values changed.
A run on another branch (a pull request) is judged as the newest values after that
history. A regression names the size of the change, the medians before and after, the
p-value, and the commit range where it appeared (``last good..first slow``).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Connection, insert, select

from conveyor.engine.masking import Masker
from conveyor.errors import UserError
from conveyor.results.perf_detect import Change, DetectSettings, find_change
from conveyor.results.perf_formats import parse_results
from conveyor.store.database import StateDatabase
from conveyor.store.perf_models import BenchmarkResultRow
from conveyor.store.repositories import run_repository

DEFAULT_BRANCH = "main"
HISTORY = 200  # values read per benchmark
_TABLE = BenchmarkResultRow.__table__


@dataclass(frozen=True, slots=True)
class PerfContext:
    run_id: int | None = None
    commit: str = ""
    branch: str = ""  # default: the file's own (pytest-benchmark), else the default branch
    repository_id: int | None = None
    recorded_at: float | None = None


@dataclass(frozen=True, slots=True)
class Ingested:
    files: int
    results: int
    benchmarks: list[str]
    repository_id: int


def ingest(
    db: StateDatabase, paths: Sequence[Path], ctx: PerfContext, *, masker: Masker | None = None
) -> Ingested:
    """Store the measurements of ``paths`` (all or nothing), their names masked by
    ``masker`` (a benchmark's name may carry a parametrized secret, as a test id can)."""
    parsed = []
    for path in paths:
        if not path.is_file():
            raise UserError(f"{path}: no such benchmark result file")
        parsed.append(parse_results(path))
    at = ctx.recorded_at if ctx.recorded_at is not None else time.time()
    rows = []
    names: list[str] = []
    with db.writer.begin() as connection:
        repository_id = _repository(connection, ctx)
        for found in parsed:
            branch = ctx.branch or found.branch or DEFAULT_BRANCH
            for m in found.measurements:
                name = masker.mask(m.name) if masker is not None else m.name
                names.append(name)
                rows.append(
                    {
                        "repository_id": repository_id,
                        "run_id": ctx.run_id,
                        "benchmark": name[:1024],
                        "value": m.value,
                        "unit": m.unit[:32],
                        "lower_is_better": m.lower_is_better,
                        "source": found.format,
                        "commit": (ctx.commit or found.commit)[:64],
                        "branch": branch[:1024],
                        "recorded_at": at,
                    }
                )
        if rows:
            connection.execute(insert(BenchmarkResultRow), rows)
    return Ingested(len(paths), len(rows), sorted(set(names)), repository_id)


def _repository(connection: Connection, ctx: PerfContext) -> int:
    if ctx.run_id is not None:
        found = run_repository(connection, ctx.run_id)
        if found is None:
            raise UserError(
                f"run {ctx.run_id} is not recorded: give a run id `conveyor runs` lists"
            )
        return found
    if ctx.repository_id is None:
        raise UserError("benchmark results need a run (--run) or the current repository")
    return ctx.repository_id


@dataclass(frozen=True, slots=True)
class Point:
    value: float
    commit: str
    run_id: int | None
    recorded_at: float
    branch: str


@dataclass(frozen=True, slots=True)
class Series:
    benchmark: str
    unit: str
    lower_is_better: bool
    points: list[Point]  # oldest first


@dataclass(frozen=True, slots=True)
class Finding:
    benchmark: str
    unit: str
    change: Change
    last_good: Point | None  # the newest value before the change
    first_bad: Point  # the first value after it
    newest: Point

    @property
    def commit_range(self) -> str:
        before = self.last_good.commit[:12] if self.last_good and self.last_good.commit else "?"
        after = self.first_bad.commit[:12] or "?"
        return f"{before}..{after}"

    def describe(self) -> str:
        c = self.change
        word = {"regression": "slower", "improvement": "faster", "suspect": "slower"}[c.verdict]
        if not _is_time(self.unit):
            word = "better" if c.verdict == "improvement" else "worse"
        size = abs(c.change) * 100
        return (
            f"{c.verdict}: {self.benchmark} is {size:.1f}% {word} ({_fmt(c.before)} -> "
            f"{_fmt(c.after)} {self.unit}, median of {c.points_before} before and "
            f"{c.points_after} after; p = {c.p_value:.2g}); appeared in {self.commit_range}"
        )


def _is_time(unit: str) -> bool:
    return unit in ("s", "ms", "us", "ns", "min")


def _fmt(value: float) -> str:
    return f"{value:.4g}"


@dataclass(slots=True)
class CheckResult:
    checked: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def regressions(self) -> list[Finding]:
        return [f for f in self.findings if f.change.verdict == "regression"]

    def failing(self, threshold: float, suspects: bool = False) -> list[Finding]:
        """The regressions (and, with ``suspects``, the suspects) of at least ``threshold``."""
        kinds = ("regression", "suspect") if suspects else ("regression",)
        return [
            f for f in self.findings if f.change.verdict in kinds and f.change.change >= threshold
        ]


def series(
    connection: Connection,
    repository_id: int,
    *,
    branch: str = DEFAULT_BRANCH,
    benchmark: str | None = None,
    limit: int = HISTORY,
) -> list[Series]:
    """Each benchmark's newest ``limit`` values on ``branch``, oldest first."""
    c = _TABLE.c
    query = select(
        c.benchmark, c.value, c.unit, c.lower_is_better, c.commit, c.run_id, c.recorded_at,
        c.branch,
    ).where(c.repository_id == repository_id, c.branch == branch)  # fmt: skip
    if benchmark is not None:
        query = query.where(c.benchmark == benchmark)
    grouped: dict[str, tuple[str, bool, list[Point]]] = {}
    for row in connection.execute(query.order_by(c.benchmark, c.recorded_at, c.id)):
        entry = grouped.setdefault(row.benchmark, (row.unit, bool(row.lower_is_better), []))
        entry[2].append(Point(row.value, row.commit, row.run_id, row.recorded_at, row.branch))
    return [
        Series(name, unit, better, points[-limit:])
        for name, (unit, better, points) in sorted(grouped.items())
    ]


def check(
    connection: Connection,
    repository_id: int,
    *,
    branch: str = DEFAULT_BRANCH,
    run_id: int | None = None,
    settings: DetectSettings | None = None,
) -> CheckResult:
    """Judge each benchmark's newest values against its history on ``branch``. With
    ``run_id`` (a run on another branch, say), only the benchmarks that run measured are
    judged, its values appended to the default branch's history."""
    result = CheckResult()
    extra: dict[str, list[Point]] = {}
    if run_id is not None:
        c = _TABLE.c
        query = (
            select(c.benchmark, c.value, c.commit, c.run_id, c.recorded_at, c.branch)
            .where(c.repository_id == repository_id, c.run_id == run_id)
            .order_by(c.recorded_at, c.id)
        )
        for row in connection.execute(query):
            if row.branch != branch:
                extra.setdefault(row.benchmark, []).append(
                    Point(row.value, row.commit, row.run_id, row.recorded_at, row.branch)
                )
            else:
                extra.setdefault(row.benchmark, [])
    for found in series(connection, repository_id, branch=branch):
        if run_id is not None and found.benchmark not in extra:
            continue
        points = found.points + extra.get(found.benchmark, [])
        result.checked += 1
        change = find_change([p.value for p in points], found.lower_is_better, settings)
        if change is None:
            continue
        result.findings.append(
            Finding(
                found.benchmark,
                found.unit,
                change,
                points[change.index - 1] if change.index > 0 else None,
                points[change.index],
                points[-1],
            )
        )
    order = {"regression": 0, "suspect": 1, "improvement": 2}
    result.findings.sort(key=lambda f: (order[f.change.verdict], -abs(f.change.change)))
    return result


@dataclass(frozen=True, slots=True)
class Trend:
    benchmark: str
    unit: str
    lower_is_better: bool
    points: int
    first: float  # median of the oldest values of the window
    last: float  # median of the newest values
    change: float  # relative, positive = worse
    values: list[float]


def trends(
    connection: Connection,
    repository_id: int | None,
    *,
    since: float,
    branch: str = DEFAULT_BRANCH,
) -> list[Trend]:
    """Each benchmark's movement since ``since`` on ``branch``: the median of its first
    and of its last few values (a third of them, at most 5), worst first."""
    from statistics import median

    from conveyor.results.perf_detect import relative_change

    c = _TABLE.c
    query = select(c.benchmark, c.value, c.unit, c.lower_is_better).where(
        c.recorded_at >= since, c.branch == branch
    )
    if repository_id is not None:
        query = query.where(c.repository_id == repository_id)
    grouped: dict[str, tuple[str, bool, list[float]]] = {}
    for row in connection.execute(query.order_by(c.benchmark, c.recorded_at, c.id)):
        grouped.setdefault(row.benchmark, (row.unit, bool(row.lower_is_better), []))[2].append(
            float(row.value)
        )
    found = []
    for name, (unit, better, values) in grouped.items():
        size = max(1, min(5, len(values) // 3))
        first, last = median(values[:size]), median(values[-size:])
        found.append(
            Trend(
                name,
                unit,
                better,
                len(values),
                first,
                last,
                relative_change(first, last, better),
                values,
            )
        )
    found.sort(key=lambda t: (-t.change, t.benchmark))
    return found
