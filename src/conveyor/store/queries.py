"""Read side of the history: plain, immutable results for the CLI and later features."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from conveyor.engine.status import RunState
from conveyor.store.models import (
    AnnotationRow,
    JobRow,
    LogLineRow,
    RepositoryRow,
    RunRow,
    StepRow,
)


@dataclass(frozen=True, slots=True)
class RunInfo:
    id: int
    run_number: int
    workflow_path: str
    workflow_name: str
    event: str
    ref: str
    sha: str
    repository: str  # github.repository (owner/name)
    repository_id: int
    repository_key: str  # the history key (remote URL, else path)
    repository_name: str
    status: str
    conclusion: str | None
    created_at: float
    started_at: float | None
    ended_at: float | None
    duration: float | None
    heartbeat_at: float | None
    pid: int
    host: str
    note: str
    attempt: int = 1
    uid: str = ""
    lease_expires_at: float | None = None
    logs_removed_at: float | None = None  # by `conveyor gc`
    actor: str = ""  # who started it (github.actor; revision 0013)

    @property
    def display_status(self) -> str:
        """The conclusion once completed, else the status."""
        if self.status == RunState.COMPLETED.value and self.conclusion:
            return self.conclusion
        return self.status


@dataclass(frozen=True, slots=True)
class StepInfo:
    index: int
    name: str
    status: str
    outcome: str | None
    conclusion: str | None
    exit_code: int | None
    started_at: float | None
    ended_at: float | None
    duration: float | None
    outputs: dict[str, str]
    summary: str
    note: str
    log_lines: int  # lines stored for the step (`conveyor logs RUN JOB/STEP`)


@dataclass(frozen=True, slots=True)
class JobInfo:
    job_key: str
    job_id: str
    name: str
    matrix: dict[str, Any]
    runs_on: list[str]
    status: str
    conclusion: str | None
    started_at: float | None
    ended_at: float | None
    duration: float | None
    outputs: dict[str, str]
    note: str
    log_lines: int  # the job's own lines (not its steps')
    steps: tuple[StepInfo, ...]
    needs: tuple[str, ...] = ()  # the job ids it waited for
    environment: str | None = None
    environment_url: str = ""  # ``jobs.<id>.environment.url``, evaluated


@dataclass(frozen=True, slots=True)
class AnnotationInfo:
    job_key: str
    step_index: int | None
    level: str
    message: str
    file: str | None
    line: int | None
    col: int | None
    title: str | None


@dataclass(frozen=True, slots=True)
class RunDetail:
    run: RunInfo
    jobs: tuple[JobInfo, ...]
    annotations: tuple[AnnotationInfo, ...]


def to_jsonable(value: Any) -> Any:
    """Results as JSON-ready dicts/lists (paths become strings)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


_RUN_FIELDS = [
    f.name
    for f in dataclasses.fields(RunInfo)
    if f.name not in ("repository_key", "repository_name", "actor")
]


def _run_info(
    row: RunRow, repository_key: str, repository_name: str, actor: str | None = ""
) -> RunInfo:
    values = {name: getattr(row, name) for name in _RUN_FIELDS}
    return RunInfo(
        **values,
        repository_key=repository_key,
        repository_name=repository_name,
        actor=str(actor or ""),
    )


def _actor(dialect: str) -> ColumnElement[Any]:
    """github.actor of a run: its ``actor`` column (revision 0013, filled from the record
    for runs recorded before; indexed, for the dashboard's filter)."""
    del dialect  # the same column everywhere
    column: ColumnElement[Any] = RunRow.__table__.c.actor
    return column


def _with_repository(dialect: str = "") -> Select[RunRow, str, str, Any]:
    return select(RunRow, RepositoryRow.key, RepositoryRow.name, _actor(dialect)).join(
        RepositoryRow, RepositoryRow.id == RunRow.repository_id
    )


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def list_runs(
    sessions: sessionmaker[Session],
    *,
    repository_id: int | None = None,
    workflow: str | None = None,
    status: str | None = None,
    limit: int | None = 20,
    event: str | None = None,
    branch: str | None = None,
    actor: str | None = None,
    before: int | None = None,
    repository: str | None = None,
) -> list[RunInfo]:
    """Newest first, of one repository (or of all, with None). ``workflow`` matches the
    name, the path, or the file name with or without extension; ``status`` matches the
    status or the conclusion; ``branch`` the ref (``refs/heads/<branch>`` or as
    written); ``actor`` who started it; ``repository`` the history key or the display
    name; ``before`` pages: only runs listed after run ``before`` (older than it)."""
    with sessions() as session:
        dialect = _dialect(session)
        query = _with_repository(dialect).order_by(RunRow.created_at.desc(), RunRow.id.desc())
        query = _filtered(query, repository_id, workflow, status)
        if event:
            query = query.where(RunRow.event == event)
        if branch:
            query = query.where(RunRow.ref.in_((f"refs/heads/{branch}", branch)))
        if actor:
            query = query.where(_actor(dialect) == actor)
        if repository:  # the (few) repositories first, then their runs by index
            ids = session.scalars(
                select(RepositoryRow.id).where(
                    or_(RepositoryRow.key == repository, RepositoryRow.name == repository)
                )
            ).all()
            if not ids:
                return []
            query = query.where(RunRow.repository_id.in_(ids))
        if before is not None:
            created = session.scalar(select(RunRow.created_at).where(RunRow.id == before))
            if created is None:
                query = query.where(RunRow.id < before)
            else:
                query = query.where(
                    or_(
                        RunRow.created_at < created,
                        and_(RunRow.created_at == created, RunRow.id < before),
                    )
                )
        if limit is not None:
            query = query.limit(limit)
        return [_run_info(*found) for found in session.execute(query)]


def _filtered(
    query: Select[RunRow, str, str, Any],
    repository_id: int | None,
    workflow: str | None,
    status: str | None,
) -> Select[RunRow, str, str, Any]:
    if repository_id is not None:
        query = query.where(RunRow.repository_id == repository_id)
    if workflow:
        path = RunRow.workflow_path
        query = query.where(
            or_(
                RunRow.workflow_name == workflow,
                path == workflow,
                *(
                    path.endswith(f"/{workflow}{suffix}", autoescape=True)
                    for suffix in ("", ".yml", ".yaml")
                ),
            )
        )
    if status:
        query = query.where(or_(RunRow.status == status, RunRow.conclusion == status))
    return query


def latest_run_id(sessions: sessionmaker[Session], repository_id: int | None = None) -> int | None:
    """The newest run of the repository (of any, with None)."""
    query = select(RunRow.id).order_by(RunRow.created_at.desc(), RunRow.id.desc()).limit(1)
    if repository_id is not None:
        query = query.where(RunRow.repository_id == repository_id)
    with sessions() as session:
        return session.scalar(query)


def get_run(sessions: sessionmaker[Session], state_dir: Path, run_id: int) -> RunDetail | None:
    """The run with its jobs (in start order), their steps (by index) and annotations."""
    with sessions() as session:
        query = _with_repository(_dialect(session)).where(RunRow.id == run_id)
        found = session.execute(query).first()
        if found is None:
            return None
        run, repository_key, repository_name, actor = found
        jobs = session.scalars(select(JobRow).where(JobRow.run_id == run_id).order_by(JobRow.id))
        steps = session.scalars(
            select(StepRow).where(StepRow.run_id == run_id).order_by(StepRow.step_index)
        ).all()
        notes = session.scalars(
            select(AnnotationRow).where(AnnotationRow.run_id == run_id).order_by(AnnotationRow.id)
        )
        counts: dict[tuple[str, int | None], int] = {
            (key, index): int(count)
            for key, index, count in session.execute(
                select(LogLineRow.job_key, LogLineRow.step_index, func.count())
                .where(LogLineRow.run_id == run_id)
                .group_by(LogLineRow.job_key, LogLineRow.step_index)
            )
        }
        job_infos = tuple(
            _job_info(job, [s for s in steps if s.job_pk == job.id], counts) for job in jobs
        )
        return RunDetail(
            run=_run_info(run, repository_key, repository_name, actor),
            jobs=job_infos,
            annotations=tuple(
                AnnotationInfo(
                    job_key=a.job_key,
                    step_index=a.step_index,
                    level=a.level,
                    message=a.message,
                    file=a.file,
                    line=a.line,
                    col=a.col,
                    title=a.title,
                )
                for a in notes
            ),
        )


def _job_info(
    job: JobRow, steps: list[StepRow], counts: dict[tuple[str, int | None], int]
) -> JobInfo:
    return JobInfo(
        job_key=job.job_key,
        job_id=job.job_id,
        name=job.name,
        matrix=dict(job.matrix or {}),
        runs_on=list(job.runs_on or []),
        status=job.status,
        conclusion=job.conclusion,
        started_at=job.started_at,
        ended_at=job.ended_at,
        duration=job.duration,
        outputs=dict(job.outputs or {}),
        note=job.note,
        log_lines=counts.get((job.job_key, None), 0),
        needs=tuple(job.needs or ()),
        environment=job.environment,
        environment_url=job.environment_url,
        steps=tuple(
            StepInfo(
                index=s.step_index,
                name=s.name,
                status=s.status,
                outcome=s.outcome,
                conclusion=s.conclusion,
                exit_code=s.exit_code,
                started_at=s.started_at,
                ended_at=s.ended_at,
                duration=s.duration,
                outputs=dict(s.outputs or {}),
                summary=s.summary,
                note=s.note,
                log_lines=counts.get((job.job_key, s.step_index), 0),
            )
            for s in steps
        ),
    )


def run_from_jsonable(data: dict[str, Any]) -> RunInfo:
    """A :class:`RunInfo` from :func:`to_jsonable`'s dict (e.g. the API's answer);
    fields this conveyor does not know are ignored."""
    names = {f.name for f in dataclasses.fields(RunInfo)}
    return RunInfo(**{k: v for k, v in data.items() if k in names})


def detail_from_jsonable(data: dict[str, Any]) -> RunDetail:
    """A :class:`RunDetail` from :func:`to_jsonable`'s dict (``GET /api/runs/{id}``)."""

    def known(kind: type[Any], values: dict[str, Any]) -> dict[str, Any]:
        names = {f.name for f in dataclasses.fields(kind)}
        return {k: v for k, v in values.items() if k in names}

    jobs = []
    for job in data.get("jobs", []):
        steps = tuple(StepInfo(**known(StepInfo, step)) for step in job.get("steps", []))
        values = known(JobInfo, job)
        values["steps"] = steps
        values["needs"] = tuple(values.get("needs", ()))
        jobs.append(JobInfo(**values))
    return RunDetail(
        run=run_from_jsonable(data["run"]),
        jobs=tuple(jobs),
        annotations=tuple(
            AnnotationInfo(**known(AnnotationInfo, note)) for note in data.get("annotations", [])
        ),
    )
