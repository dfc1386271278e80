"""What a run report holds: verdict, environment, per-tier totals, failures, flaky tests and
recommended actions. Plain dataclasses, rendered by :mod:`conveyor.reporting.render`."""

from __future__ import annotations

from dataclasses import dataclass, field

from conveyor.results.model import FAILING, FLAKY, PASSED, SKIPPED

PASSED_VERDICT = "passed"
FAILED_VERDICT = "failed"


@dataclass(slots=True)
class TierTotals:
    name: str
    passed: int = 0
    failed: int = 0  # failed or errored, quarantined tests excluded
    skipped: int = 0
    flaky: int = 0
    quarantined: int = 0  # failures of quarantined tests (reported, not counted)
    duration: float = 0.0  # the test cases' times, summed
    wall_time: float | None = None  # how long the tier took, when recorded

    @property
    def elapsed(self) -> float:
        """The tier's wall time when recorded, else its summed test time."""
        return self.wall_time if self.wall_time is not None else self.duration

    def count(self, status: str, duration: float | None, *, quarantined: bool = False) -> None:
        """Add one result row: its duration and its status (a failure of a quarantined test
        counts as quarantined; other statuses are not counted)."""
        self.duration += float(duration or 0.0)
        if status == PASSED:
            self.passed += 1
        elif status == SKIPPED:
            self.skipped += 1
        elif status == FLAKY:
            self.flaky += 1
        elif status in FAILING:
            if quarantined:
                self.quarantined += 1
            else:
                self.failed += 1

    @property
    def total(self) -> int:
        return self.passed + self.failed + self.skipped + self.flaky + self.quarantined

    @property
    def ok(self) -> bool:
        return self.failed == 0


@dataclass(slots=True)
class FailureItem:
    test_id: str
    name: str
    tier: str
    status: str  # failed or error
    error: str  # first line of the message
    details: str  # the rest (traceback), trimmed
    category: str
    file: str | None = None
    line: int | None = None
    log: str = ""  # where the full output is (JUnit file)
    quarantined: bool = False

    @property
    def location(self) -> str:
        if not self.file:
            return ""
        return f"{self.file}:{self.line}" if self.line else self.file


@dataclass(slots=True)
class FlakyItem:
    test_id: str
    tier: str
    retries: int
    error: str


@dataclass(slots=True)
class FailedStep:
    index: int
    name: str
    conclusion: str
    exit_code: int | None
    note: str
    log_tail: list[str]  # the last lines of its log (masked when it was written)
    logs_command: str  # prints the whole log


@dataclass(slots=True)
class FailedJob:
    """A job that did not succeed, its failed steps, and (when no step failed, e.g. the
    job could not start) the last lines of its job-level log."""

    job_key: str
    conclusion: str
    note: str
    steps: list[FailedStep] = field(default_factory=list)
    log_tail: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Recommendation:
    category: str
    title: str
    count: int
    actions: list[str]


@dataclass(slots=True)
class UsualDuration:
    """How long the workflow's earlier runs took: ``runs`` of them, their median, and the
    duration beyond which a run is "longer than usual" (``limit``)."""

    runs: int
    median: float
    limit: float


@dataclass(slots=True)
class BenchmarkLine:
    """A benchmark in the report: its movement over the window and, when it changed, the
    verdict of ``conveyor perf check`` and the commits where it appeared."""

    benchmark: str
    unit: str
    first: float
    last: float
    change: float  # relative, positive = worse
    points: int
    verdict: str = ""  # regression, suspect, improvement, or "" (noise)
    commits: str = ""


@dataclass(slots=True)
class Report:
    run_id: int
    workflow: str
    verdict: str
    conclusion: str | None
    started_at: float | None
    duration: float | None
    environment: dict[str, str]
    tiers: list[TierTotals] = field(default_factory=list)
    failures: list[FailureItem] = field(default_factory=list)
    flaky: list[FlakyItem] = field(default_factory=list)
    recommendations: list[Recommendation] = field(default_factory=list)
    logs_command: str = ""  # empty when the run has no logs to print
    failed_jobs: list[FailedJob] = field(default_factory=list)
    usual_duration: UsualDuration | None = None  # from the workflow's own earlier runs
    benchmarks: list[BenchmarkLine] = field(default_factory=list)

    @property
    def longer_than_usual(self) -> bool:
        usual = self.usual_duration
        return usual is not None and self.duration is not None and self.duration > usual.limit

    @property
    def passed(self) -> bool:
        return self.verdict == PASSED_VERDICT

    def totals(self) -> TierTotals:
        overall = TierTotals("all")
        for tier in self.tiers:
            overall.passed += tier.passed
            overall.failed += tier.failed
            overall.skipped += tier.skipped
            overall.flaky += tier.flaky
            overall.quarantined += tier.quarantined
            overall.duration += tier.duration
        if self.tiers and all(t.wall_time is not None for t in self.tiers):
            overall.wall_time = sum(t.elapsed for t in self.tiers)
        return overall

    def tier(self, name: str) -> TierTotals | None:
        return next((t for t in self.tiers if t.name.lower() == name.lower()), None)
