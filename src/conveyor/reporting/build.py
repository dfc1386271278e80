"""Build a :class:`Report` for one run from the recorded test results and the run row."""

from __future__ import annotations

import platform
import shlex
import time
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, func, select
from sqlalchemy.orm import sessionmaker

from conveyor.errors import UserError
from conveyor.reporting import aggregates
from conveyor.reporting.categories import ACTIONS, CATEGORIES, TITLES, classify
from conveyor.reporting.model import (
    FAILED_VERDICT,
    PASSED_VERDICT,
    FailedJob,
    FailedStep,
    FailureItem,
    FlakyItem,
    Recommendation,
    Report,
    TierTotals,
)
from conveyor.results.model import FAILING, FLAKY
from conveyor.results.quarantine import quarantined_among
from conveyor.results.tables import INGESTS, RESULTS
from conveyor.store.logs import TAIL_LINES, read_log
from conveyor.store.models import RunRow
from conveyor.store.queries import JobInfo, RunDetail, get_run

_BAD_CONCLUSIONS = frozenset({"failure", "timed_out", "cancelled", "interrupted"})
DETAILS_CHARS = 4000


def resolve_run(connection: Connection, spec: str) -> int:
    """The run id ``spec`` names: a number, or ``latest`` (newest run, else newest ingest)."""
    text = spec.strip().lower()
    if text == "latest":
        newest = connection.execute(select(func.max(RunRow.id))).scalar()
        if newest is None:
            newest = connection.execute(select(func.max(INGESTS.c.run_id))).scalar()
        if newest is None:
            raise UserError("no runs recorded yet: run `conveyor test` or `conveyor run` first")
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


def _tail(state_dir: Path | None, run_id: int, path: Path | None) -> list[str]:
    if state_dir is None:
        return []
    return read_log(state_dir, run_id, path, tail=TAIL_LINES).text().splitlines()


def _failed_job(detail: RunDetail, job: JobInfo, state_dir: Path | None) -> FailedJob:
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
                    log_tail=_tail(state_dir, run_id, step.log_path),
                    logs_command=(
                        f"conveyor logs {run_id} {shlex.quote(job.job_key)} --step {step.index}"
                    ),
                )
            )
    if not failed.steps:
        failed.log_tail = _tail(state_dir, run_id, job.log_path)
    return failed


def _jobs(
    connection: Connection, run_id: int, state_dir: Path | None
) -> tuple[list[FailedJob], bool]:
    """The run's failed jobs, and whether it has any log ``conveyor logs`` would print."""
    detail = get_run(sessionmaker(bind=connection), state_dir or Path(), run_id)
    if detail is None:
        return [], False
    failed = [
        _failed_job(detail, job, state_dir)
        for job in detail.jobs
        if job.conclusion in _BAD_CONCLUSIONS
    ]
    paths = [p for job in detail.jobs for p in (job.log_path, *(s.log_path for s in job.steps))]
    has_logs = state_dir is not None and any(
        read_log(state_dir, run_id, path, tail=0).found for path in paths
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
    kept_tiers = aggregates.load(state_dir, run_id) if state_dir is not None else []
    if run is None and not rows and not kept_tiers:
        raise UserError(f"run {run_id} not found and no test results recorded for it")
    ingests = list(connection.execute(select(INGESTS).where(INGESTS.c.run_id == run_id)))
    sources = {int(r.id): (str(r.sources).split("\n", 1)[0] if r.sources else "") for r in ingests}
    failing_ids = [str(r.test_id) for r in rows if r.status in FAILING]
    quarantined = quarantined_among(connection, failing_ids) if failing_ids else set()
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
    )
