"""Build a :class:`Report` for one run from the recorded test results and the run row."""

from __future__ import annotations

import platform
import shlex
import time
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session, sessionmaker

from conveyor.engine.runkeys import run_key
from conveyor.errors import UserError
from conveyor.reporting import aggregates
from conveyor.reporting.categories import ACTIONS, CATEGORIES, TITLES, classify
from conveyor.reporting.model import (
    FAILED_VERDICT,
    PASSED_VERDICT,
    BenchmarkLine,
    FailedJob,
    FailedStep,
    FailureItem,
    FlakyItem,
    Recommendation,
    Report,
    TierTotals,
    UsualDuration,
)
from conveyor.results.model import FAILING, FLAKY
from conveyor.results.quarantine import quarantined_among
from conveyor.store.loglines import read_lines
from conveyor.store.models import RunRow
from conveyor.store.queries import JobInfo, RunDetail, get_run
from conveyor.store.results_models import INGESTS, RESULTS

_BAD_CONCLUSIONS = frozenset({"failure", "timed_out", "cancelled", "interrupted"})
DETAILS_CHARS = 4000


def resolve_run(connection: Connection, spec: str, repository_id: int | None = None) -> int:
    """The run id ``spec`` names: a number (any repository's run), or ``latest``: the
    newest run of the repository (of any, with None)."""
    text = spec.strip().lower()
    if text == "latest":
        query = select(RunRow.id).order_by(RunRow.created_at.desc(), RunRow.id.desc()).limit(1)
        if repository_id is not None:
            query = query.where(RunRow.repository_id == repository_id)
        newest = connection.execute(query).scalar()
        if newest is None:
            where = "" if repository_id is None else " for this repository"
            raise UserError(
                f"no runs recorded yet{where}: run `conveyor test` or `conveyor run` first"
            )
        return int(newest)
    if not text.isdigit():
        raise UserError(f"run {spec!r} is not a run id (a number) or 'latest'")
    return int(text)


def _first_line(message: str) -> tuple[str, str]:
    head, _, rest = message.strip().partition("\n")
    return head.strip(), rest.strip()[:DETAILS_CHARS]


def _environment(run: Any, results: list[Any]) -> dict[str, str]:
    branch = ""
    sha = ""
    if run is not None:
        ref = str(run.ref or "")
        branch = ref.split("/", 2)[2] if ref.count("/") >= 2 else ref
        sha = str(run.sha or "")
    if results:
        branch = branch or str(results[0].branch or "")
        sha = sha or str(results[0].commit or "")
    return {
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()}".strip(),
        "branch": branch or "-",
        "sha": sha[:12] or "-",
    }


TAIL_LINES = 20
"""Lines of a failed step's log a report shows."""


def _tail(
    sessions: sessionmaker[Session], run_id: int, job_key: str, step: int | None
) -> list[str]:
    """The last lines of a step's log (of the job's own lines, with None)."""
    lines = read_lines(
        sessions, run_id, job_key=job_key, step_index=step, job_only=step is None, last=TAIL_LINES
    )
    return [line.text for line in lines]


def _failed_job(detail: RunDetail, job: JobInfo, sessions: sessionmaker[Session]) -> FailedJob:
    run_id = detail.run.id
    failed = FailedJob(job.job_key, str(job.conclusion or job.status), job.note)
    for step in job.steps:
        if step.conclusion in _BAD_CONCLUSIONS:
            failed.steps.append(
                FailedStep(
                    index=step.index,
                    name=step.name,
                    conclusion=str(step.conclusion),
                    exit_code=step.exit_code,
                    note=step.note,
                    log_tail=_tail(sessions, run_id, job.job_key, step.index),
                    logs_command=(
                        f"conveyor logs {run_id} {shlex.quote(job.job_key)} --step {step.index}"
                    ),
                )
            )
    if not failed.steps:
        failed.log_tail = _tail(sessions, run_id, job.job_key, None)
    return failed


def _jobs(
    connection: Connection, run_id: int, state_dir: Path | None
) -> tuple[list[FailedJob], bool]:
    """The run's failed jobs, and whether it has any log ``conveyor logs`` would print."""
    sessions = sessionmaker(bind=connection)
    detail = get_run(sessions, state_dir or Path(), run_id)
    if detail is None:
        return [], False
    failed = [
        _failed_job(detail, job, sessions)
        for job in detail.jobs
        if job.conclusion in _BAD_CONCLUSIONS
    ]
    has_logs = any(
        job.log_lines or any(step.log_lines for step in job.steps) for job in detail.jobs
    )
    return failed, has_logs


def _wall_times(connection: Connection, run_id: int) -> dict[str, float]:
    """tier -> seconds its ingests of ``run_id`` took (only tiers where all were timed)."""
    c = INGESTS.c
    query = select(c.tier, c.wall_time).where(c.run_id == run_id)
    found: dict[str, float] = {}
    untimed: set[str] = set()
    for tier, seconds in connection.execute(query):
        name = str(tier or "default")
        if seconds is None:
            untimed.add(name)
        else:
            found[name] = found.get(name, 0.0) + float(seconds)
    return {name: seconds for name, seconds in found.items() if name not in untimed}


def _recommendations(failures: list[FailureItem]) -> list[Recommendation]:
    counts = Counter(f.category for f in failures if not f.quarantined)
    return [
        Recommendation(c, TITLES[c], counts[c], list(ACTIONS[c])) for c in CATEGORIES if counts[c]
    ]


def build_report(
    connection: Connection,
    run_id: int,
    *,
    state_dir: Path | None = None,
    now: float | None = None,
) -> Report:
    """The report of ``run_id``; :class:`UserError` when neither the run nor results exist.

    With ``state_dir``, tiers whose rows ``conveyor gc`` removed come from the kept
    per-tier summaries, and failed jobs and steps come with the last lines of their logs.
    ``conveyor logs`` is pointed at only when the run has logs it would print."""
    run = connection.execute(select(RunRow).where(RunRow.id == run_id)).first()
    c = RESULTS.c
    rows = list(connection.execute(select(RESULTS).where(c.run_id == run_id).order_by(c.id)).all())
    key = run_key(run_id, str(run.uid or "")) if run is not None else None
    kept_tiers = aggregates.load(state_dir, key) if state_dir is not None and key else []
    if run is None and not rows and not kept_tiers:
        raise UserError(f"run {run_id} not found and no test results recorded for it")
    ingests = list(connection.execute(select(INGESTS).where(INGESTS.c.run_id == run_id)))
    sources = {int(r.id): (str(r.sources).split("\n", 1)[0] if r.sources else "") for r in ingests}
    failing_ids = [str(r.test_id) for r in rows if r.status in FAILING]
    repository_id = int(run.repository_id) if run is not None else None
    if repository_id is None and rows:
        repository_id = int(rows[0].repository_id)
    quarantined: set[str] = set()
    if failing_ids and repository_id is not None:
        quarantined = quarantined_among(connection, repository_id, failing_ids)
    tiers: dict[str, TierTotals] = {}
    failures: list[FailureItem] = []
    flaky: list[FlakyItem] = []
    for r in rows:
        tier_name = str(r.tier or "default")
        status = str(r.status)
        is_q = status in FAILING and str(r.test_id) in quarantined
        tiers.setdefault(tier_name, TierTotals(tier_name)).count(
            status, r.duration, quarantined=is_q
        )
        if status == FLAKY:
            flaky.append(
                FlakyItem(
                    str(r.test_id),
                    tier_name,
                    int(r.retries or 0),
                    _first_line(str(r.message or ""))[0],
                )
            )
        elif status in FAILING:
            error, details = _first_line(str(r.message or ""))
            failures.append(
                FailureItem(
                    test_id=str(r.test_id),
                    name=str(r.name),
                    tier=tier_name,
                    status=status,
                    error=error or status,
                    details=details,
                    category=classify(str(r.message or "")),
                    file=r.file,
                    line=r.line,
                    log=sources.get(int(r.ingest_id), ""),
                    quarantined=is_q,
                )
            )
    for kept in kept_tiers:
        tiers.setdefault(kept.name, kept)
    for ingest_row in ingests:  # a tier that ran no tests: shown as such
        name = str(ingest_row.tier or "default")
        tiers.setdefault(name, TierTotals(name))
    for name, seconds in _wall_times(connection, run_id).items():
        if name in tiers:
            tiers[name].wall_time = seconds
    failed_jobs, has_logs = _jobs(connection, run_id, state_dir) if run is not None else ([], False)
    conclusion = str(run.conclusion) if run is not None and run.conclusion else None
    broken = (
        any(not t.ok for t in tiers.values()) or conclusion in _BAD_CONCLUSIONS or bool(failed_jobs)
    )
    started = float(run.started_at) if run is not None and run.started_at else None
    duration: float | None = None
    if run is not None and run.duration is not None:
        duration = float(run.duration)
    elif started is not None:
        duration = max(0.0, (time.time() if now is None else now) - started)
    elif rows:
        duration = sum(t.duration for t in tiers.values())
    return Report(
        run_id=run_id,
        workflow=str(run.workflow_name) if run is not None else "",
        verdict=FAILED_VERDICT if broken else PASSED_VERDICT,
        conclusion=conclusion,
        started_at=started
        if started is not None
        else (float(rows[0].recorded_at) if rows else None),
        duration=duration,
        environment=_environment(run, rows),
        tiers=list(tiers.values()),
        failures=failures,
        flaky=flaky,
        recommendations=_recommendations(failures),
        logs_command=f"conveyor logs {run_id}" if has_logs else "",
        failed_jobs=failed_jobs,
        usual_duration=usual_duration(connection, run) if run is not None else None,
        benchmarks=benchmark_lines(connection, repository_id, now=now),
    )


USUAL_RUNS = 30  # earlier runs a duration is judged against
USUAL_MIN_RUNS = 5  # fewer: nothing is usual yet
USUAL_SPREAD = 4.0  # robust standard deviations above the median
USUAL_RATIO = 1.25  # and at least this much longer than the median


def usual_duration(connection: Connection, run: Any) -> UsualDuration | None:
    """The workflow's usual duration, from its own earlier finished runs in the
    repository (up to :data:`USUAL_RUNS`): "longer than usual" is beyond both the median
    plus four robust standard deviations (1.4826 x the median absolute deviation) and
    1.25 x the median -- the spread of its own history, not a fixed number."""
    from statistics import median

    c = RunRow.__table__.c
    query = (
        select(c.duration)
        .where(
            c.repository_id == run.repository_id,
            c.workflow_path == run.workflow_path,
            c.id < run.id,
            c.duration.is_not(None),
            c.conclusion.is_not(None),
        )
        .order_by(c.id.desc())
        .limit(USUAL_RUNS)
    )
    durations = [float(d) for d in connection.execute(query).scalars()]
    if len(durations) < USUAL_MIN_RUNS:
        return None
    middle = median(durations)
    spread = 1.4826 * median(abs(d - middle) for d in durations)
    return UsualDuration(
        len(durations), middle, max(middle + USUAL_SPREAD * spread, middle * USUAL_RATIO)
    )


BENCHMARK_DAYS = 7.0
BENCHMARK_LINES = 15


def benchmark_lines(
    connection: Connection, repository_id: int | None, *, now: float | None = None
) -> list[BenchmarkLine]:
    """The repository's benchmarks over the last week on the default branch, with what
    ``conveyor perf check`` says of each (regressions first)."""
    from conveyor.results.perf import check, trends

    if repository_id is None:
        return []
    since = (time.time() if now is None else now) - BENCHMARK_DAYS * 86400
    moved = trends(connection, repository_id, since=since)
    if not moved:
        return []
    verdicts = {f.benchmark: f for f in check(connection, repository_id).findings}
    lines = []
    for t in moved:
        finding = verdicts.get(t.benchmark)
        lines.append(
            BenchmarkLine(
                t.benchmark,
                t.unit,
                t.first,
                t.last,
                t.change,
                t.points,
                finding.change.verdict if finding else "",
                finding.commit_range if finding else "",
            )
        )
    order = {"regression": 0, "suspect": 1}
    lines.sort(key=lambda b: (order.get(b.verdict, 2), -b.change))
    return lines[:BENCHMARK_LINES]
