""":class:`SqlRunStore`: the engine's :class:`~conveyor.engine.ports.RunStore` on SQLAlchemy.

A run's, a job's or a waiting job's event is written at once, in its own transaction, with
every event before it: what ``conveyor resume`` and approvals stand on is never lost, and a
crash never corrupts the database. A step's events (started, finished, annotations) are
written at once too when events are sparse, and in one transaction per burst when they
come fast (a job of many short steps): at most ``FLUSH_SECONDS`` later, from the log
writer's thread, or with the next event of any other kind; every read here writes them
first. A ``kill -9`` loses at most the step events of that last fraction of a second, and
``conveyor resume`` runs the job they belong to again anyway. Log lines are inserted in
batches (:mod:`conveyor.store.loglines`), always before the events that follow them. Text
is masked again with the store's :class:`Masker`, if given, as a second line of defence.

A run holds a lease (:meth:`SqlRunStore.renew_lease`); :meth:`SqlRunStore.reopen_run`
lets another process take over a run whose process died (``conveyor resume``).
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import msgspec
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from conveyor.engine.events import (
    Annotation,
    Event,
    JobFinished,
    JobStarted,
    JobWaiting,
    LogLine,
    RunFinished,
    RunParked,
    RunStarted,
    StepFinished,
    StepStarted,
)
from conveyor.engine.masking import Masker
from conveyor.engine.ports import NewRun, ResumedRun
from conveyor.engine.status import Conclusion, RunState
from conveyor.engine.wire import JobOutcome
from conveyor.errors import UserError
from conveyor.store import queries
from conveyor.store.database import StateDatabase
from conveyor.store.loglines import FLUSH_SECONDS, LogWriter, last_seq, read_lines
from conveyor.store.models import AnnotationRow, JobRow, LogLineRow, RunRow, StepRow
from conveyor.store.numbering import next_run_number
from conveyor.store.recovery import lease_is_live, recover_interrupted

_RUNNING, _DONE = RunState.IN_PROGRESS.value, RunState.COMPLETED.value
_WAITING = RunState.WAITING.value
# Written in one transaction per burst when they come fast (see the module's docstring).
_BATCHED = (StepStarted, StepFinished, Annotation)


def _result_of(conclusion: str) -> str:
    """``needs.<id>.result`` for a conclusion (a timeout is a failure)."""
    return "failure" if conclusion == Conclusion.TIMED_OUT.value else str(conclusion)


def _outcome(job: JobRow) -> JobOutcome:
    """What a finished job of an earlier attempt ended with, for the jobs that need it."""
    result = job.result or _result_of(job.conclusion or "")
    return JobOutcome(
        Conclusion(job.conclusion or "failure"),
        result,
        dict(job.outputs or {}),
        counts_as_failure=result == "failure",
        note=job.note,
        environment_url=job.environment_url,
    )


RERUN_CONCLUSIONS = ("failure", "cancelled", "interrupted", "timed_out")  # "re-run failed" runs


def _kept_on_rerun(run_id: int, jobs: list[JobRow]) -> list[JobRow]:
    """The jobs a re-run of the failed ones keeps: those that succeeded and need none of
    the failed jobs, directly or through others (a matrix job runs again whole)."""
    again = {job.job_id for job in jobs if job.conclusion in RERUN_CONCLUSIONS}
    if not again:
        raise UserError(f"run {run_id} has no failed jobs to re-run")
    grew = True
    while grew:
        after = {job.job_id for job in jobs if again & set(job.needs or ())} - again
        again |= after
        grew = bool(after)
    return [
        job for job in jobs
        if job.status == _DONE and job.conclusion == "success" and job.job_id not in again
    ]  # fmt: skip


def _duration(started: float | None, ended: float | None) -> float | None:
    if not started or not ended:
        return None
    return max(0.0, ended - started)


class SqlRunStore(StateDatabase):
    """Run history in ``state_dir`` (logs; SQLite by default) or the database at ``url``
    (else ``$CONVEYOR_DATABASE_URL``). Opening migrates the schema and marks runs of dead
    conveyor processes ``interrupted``. Thread-safe."""

    def __init__(
        self,
        state_dir: str | os.PathLike[str] | None = None,
        url: str | None = None,
        masker: Masker | None = None,
        *,
        stale_after: float = 3600.0,
        recover: bool = True,
    ) -> None:
        super().__init__(state_dir, url)
        self.host = socket.gethostname()
        self._masker = masker
        self._stale_after = stale_after
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        self._write = sessionmaker(self.writer, expire_on_commit=False)
        self._lock = threading.RLock()
        self._pending: list[Event] = []  # batched step events not yet written
        self._written = 0.0  # time.monotonic() of the last write of events
        self._lines = LogWriter(self.writer, self._mask, tick=self._write_pending)
        self._job_pks: dict[tuple[int, str], int] = {}
        self._step_pks: dict[tuple[int, int, int], int] = {}  # (run, job pk, index)
        self._new_steps: dict[tuple[int, int, int], StepRow] = {}  # inserted at the commit
        self._fresh_jobs: set[int] = set()  # job pks started here with no step rows yet
        self._seqs: dict[int, int] = {}  # the last sequence number given here, per run
        self._handlers: dict[type[Any], Callable[[Session, Any], None]] = {
            RunStarted: self._run_started,
            JobStarted: self._job_started,
            JobWaiting: self._job_waiting,
            RunParked: self._run_parked,
            StepStarted: self._step_started,
            Annotation: self._annotation,
            StepFinished: self._step_finished,
            JobFinished: self._job_finished,
            RunFinished: self._run_finished,
        }
        if recover:
            self.recover()

    # ------------------------------------------------------------------ lifecycle

    def close(self) -> None:
        self._lines.close()  # outside the lock: its thread's last tick takes it
        with self._lock:
            self._write_pending()
            super().close()

    def recover(self) -> list[int]:
        """Mark runs whose process died (lease run out, or gone from this host) as
        interrupted; returns their ids."""
        return recover_interrupted(self._write, self.host, self._stale_after)

    # ------------------------------------------------------------------ RunStore

    def begin_run(self, run: NewRun) -> tuple[int, int]:
        now = time.time()
        repository_id = self.repository_id(run.repository_key, run.repository, run.repository_url)
        with self._lock, self._write.begin() as session:
            number = next_run_number(session, repository_id, run.workflow_path)
            row = RunRow(
                repository_id=repository_id,
                run_number=number,
                workflow_path=run.workflow_path,
                workflow_name=run.workflow_name,
                event=run.event,
                ref=run.ref,
                sha=run.sha,
                repository=run.repository,
                actor=run.actor,
                status=_RUNNING,
                created_at=now,
                started_at=now,
                heartbeat_at=now,
                pid=run.pid or os.getpid(),
                host=self.host,
                note="",
                uid=run.uid,
                record=run.record.decode("utf-8") if run.record else None,
                lease_owner=run.lease_owner,
                lease_expires_at=now + run.lease_seconds if run.lease_owner else None,
            )
            session.add(row)
            session.flush()
            return row.id, number

    def renew_lease(self, run_id: int, owner: str, seconds: float) -> bool:
        now = time.time()
        with self._write.begin() as session:
            result = session.execute(
                update(RunRow)
                .where(RunRow.id == run_id, RunRow.lease_owner == owner, RunRow.status != _DONE)
                .values(lease_expires_at=now + seconds, heartbeat_at=now)
            )
            return bool(getattr(result, "rowcount", 0))

    def reopen_run(
        self, run_id: int, owner: str, seconds: float, *, failed_again: bool = False
    ) -> ResumedRun:
        """Give this process a run to continue: one whose process died, or one parked
        waiting for decisions (``--no-wait``); with ``failed_again``, a finished run's next
        attempt that runs its failed jobs and the jobs after them again (GitHub's "re-run
        failed jobs"), keeping the jobs that succeeded before them with their outputs.

        Refused (``UserError``) for a run that finished (unless ``failed_again``: then for a
        run with no failed job), one whose process still holds its lease, and one recorded
        without a plan (``conveyor test``, older conveyors)."""
        self.recover()
        now = time.time()
        seq = last_seq(self._read, run_id) + 1  # nothing writes lines of a dead run
        with self._lock, self._write.begin() as session:
            run = session.get(RunRow, run_id, with_for_update=True)
            if run is None:
                raise UserError(f"run {run_id} does not exist; see conveyor runs --all")
            if failed_again and run.status != _DONE:
                raise UserError(f"run {run_id} has not finished: re-run it when it has")
            if (
                not failed_again
                and run.status == _DONE
                and run.conclusion != Conclusion.INTERRUPTED.value
            ):
                raise UserError(
                    f"run {run_id} finished ({run.conclusion}); only a run whose process "
                    "died can be resumed"
                )
            if run.status == _RUNNING and lease_is_live(run, self.host, now, self._stale_after):
                raise UserError(
                    f"run {run_id} is still running (pid {run.pid} on {run.host}); wait for "
                    "it, or stop that process first"
                )
            if not run.record:
                raise UserError(
                    f"run {run_id} cannot be resumed: it was recorded without its plan "
                    "(by conveyor test, or an older conveyor); run the workflow again"
                )
            jobs = list(session.scalars(select(JobRow).where(JobRow.run_id == run_id)))
            if failed_again:
                prior = {job.job_key: _outcome(job) for job in _kept_on_rerun(run_id, jobs)}
                run.attempt += 1
                run.note = f"attempt {run.attempt}: failed jobs run again"
            else:
                prior = {
                    job.job_key: _outcome(job)
                    for job in jobs
                    if job.status == _DONE and job.result and job.conclusion != "interrupted"
                }
            run.status, run.conclusion, run.ended_at, run.duration = _RUNNING, None, None, None
            run.pid, run.host = os.getpid(), self.host
            run.lease_owner, run.lease_expires_at, run.heartbeat_at = owner, now + seconds, now
            kept = [line for line in run.note.splitlines() if not line.startswith("waiting")]
            run.note = "\n".join([*kept, f"resumed by pid {os.getpid()} on {self.host}"])
            return ResumedRun(
                run_id=run.id,
                run_number=run.run_number,
                workflow_path=run.workflow_path,
                workflow_name=run.workflow_name,
                uid=run.uid,
                attempt=run.attempt,
                record=run.record.encode("utf-8"),
                prior=prior,
                next_seq=seq,
                owner=owner,
            )

    def emit(self, event: Event) -> None:
        if isinstance(event, LogLine):
            if event.seq <= 0:  # not numbered by an event bus (e.g. written directly)
                event = msgspec.structs.replace(event, seq=self._next_seq(event.run_id))
            self._lines.add(event)
            return
        with self._lock:
            self._pending.append(event)
            sparse = time.monotonic() - self._written >= FLUSH_SECONDS
            if sparse or not isinstance(event, _BATCHED):
                self._write_pending()

    def _write_pending(self) -> None:
        """Write the log lines so far, then the pending events in one transaction."""
        with self._lock:
            self._lines.flush()
            events, self._pending = self._pending, []
            if not events:
                return
            try:
                with self._write.begin() as session:
                    for event in events:
                        handler = self._handlers.get(type(event))
                        if handler is not None:
                            handler(session, event)
                for key, step in self._new_steps.items():
                    self._step_pks[key] = step.id
            finally:
                self._new_steps.clear()
            self._written = time.monotonic()

    def _next_seq(self, run_id: int) -> int:
        with self._lock:
            seq = self._seqs.get(run_id)
            if seq is None:
                self._lines.flush()
                seq = last_seq(self._read, run_id)
            self._seqs[run_id] = seq + 1
            return seq + 1

    def lines(
        self,
        run_id: int,
        *,
        job_key: str | None = None,
        step_index: int | None = None,
        job_only: bool = False,
        after_seq: int = 0,
        limit: int | None = None,
        last: int | None = None,
    ) -> list[LogLine]:
        """The run's log lines in sequence order (the engine's ``LogStore``): of a job,
        one of its steps, or only its own lines (``job_only``); after ``after_seq``; the
        first ``limit`` or the ``last`` N."""
        self._write_pending()
        return read_lines(
            self._read,
            run_id,
            job_key=job_key,
            step_index=step_index,
            job_only=job_only,
            after_seq=after_seq,
            limit=limit,
            last=last,
        )

    # ------------------------------------------------------------------ queries

    def list_runs(
        self,
        *,
        repository_id: int | None = None,
        workflow: str | None = None,
        status: str | None = None,
        limit: int | None = 20,
        event: str | None = None,
        branch: str | None = None,
        actor: str | None = None,
        before: int | None = None,
    ) -> list[queries.RunInfo]:
        """Newest first; of one repository, or of all with ``repository_id`` None (the
        filters of :func:`conveyor.store.queries.list_runs`)."""
        self._write_pending()
        return queries.list_runs(
            self._read,
            repository_id=repository_id,
            workflow=workflow,
            status=status,
            limit=limit,
            event=event,
            branch=branch,
            actor=actor,
            before=before,
        )

    def get_run(self, run_id: int) -> queries.RunDetail | None:
        self._write_pending()
        return queries.get_run(self._read, self.state_dir, run_id)

    def latest_run_id(self, repository_id: int | None = None) -> int | None:
        self._write_pending()
        return queries.latest_run_id(self._read, repository_id)

    # ------------------------------------------------------------------ event handlers

    def _mask(self, text: str) -> str:
        return self._masker.mask(text) if self._masker is not None else text

    def _mask_map(self, values: dict[str, str]) -> dict[str, str]:
        return {key: self._mask(str(value)) for key, value in values.items()}

    def _job(self, session: Session, run_id: int, job_key: str) -> JobRow:
        pk = self._job_pks.get((run_id, job_key))
        job = session.get(JobRow, pk) if pk is not None else None
        if job is None:
            job = session.scalars(
                select(JobRow).where(JobRow.run_id == run_id, JobRow.job_key == job_key)
            ).one_or_none()
        if job is None:  # e.g. a skipped job: finished without having started
            job = JobRow(
                run_id=run_id,
                job_key=job_key,
                job_id=job_key.split(" (", 1)[0],
                name=job_key,
                matrix={},
                runs_on=[],
                status=RunState.QUEUED.value,
                outputs={},
                note="",
                log_dir="",
            )
            session.add(job)
            session.flush()
        self._job_pks[(run_id, job_key)] = job.id
        return job

    def _forget(self, run_id: int) -> None:
        self._fresh_jobs.difference_update(v for k, v in self._job_pks.items() if k[0] == run_id)
        self._job_pks = {k: v for k, v in self._job_pks.items() if k[0] != run_id}
        self._step_pks = {k: v for k, v in self._step_pks.items() if k[0] != run_id}
        self._new_steps = {k: v for k, v in self._new_steps.items() if k[0] != run_id}

    def _step(self, session: Session, run_id: int, job_key: str, index: int) -> StepRow:
        """The step's row (created when first seen), found by its primary key once known:
        a step's two events cost one query each, not two. A row created in this
        transaction is inserted with the others at its commit (so a burst of steps is one
        multi-row insert, and a step that starts and ends in it is inserted as it ended)."""
        job_pk = self._job_pks.get((run_id, job_key))
        if job_pk is None:
            job_pk = self._job(session, run_id, job_key).id
        key = (run_id, job_pk, index)
        step = self._new_steps.get(key)
        if step is not None:
            return step
        step_pk = self._step_pks.get(key)
        step = session.get(StepRow, step_pk) if step_pk is not None else None
        if step is None and job_pk not in self._fresh_jobs:
            with session.no_autoflush:  # the steps new in this transaction are not wanted
                step = session.scalars(
                    select(StepRow).where(StepRow.job_pk == job_pk, StepRow.step_index == index)
                ).one_or_none()
        if step is None:
            step = StepRow(
                run_id=run_id,
                job_pk=job_pk,
                step_index=index,
                name="",
                status=RunState.QUEUED.value,
                outputs={},
                summary="",
                note="",
                log_file="",
            )
            session.add(step)
            self._new_steps[key] = step
            return step
        self._step_pks[key] = step.id
        return step

    def _run_started(self, session: Session, event: RunStarted) -> None:
        run = session.get(RunRow, event.run_id)
        if run is None:
            raise ValueError(f"run {event.run_id} was not created with begin_run()")
        run.status = _RUNNING
        run.started_at = event.started_at or run.started_at
        run.workflow_name = event.workflow_name or run.workflow_name
        run.event, run.ref, run.sha = event.event, event.ref, event.sha
        run.pid = event.pid or run.pid

    def _job_started(self, session: Session, event: JobStarted) -> None:
        job = self._job(session, event.run_id, event.job_key)
        if job.status == _DONE:  # run again after a resume: its earlier attempt goes
            self._forget_job(session, job)
        job.job_id, job.name = event.job_id, event.name or event.job_key
        job.matrix, job.runs_on = dict(event.matrix), list(event.runs_on)
        job.status, job.started_at = _RUNNING, event.started_at or time.time()
        job.environment = event.environment
        job.needs = list(event.needs)
        with session.no_autoflush:
            if session.scalar(select(StepRow.id).where(StepRow.job_pk == job.id).limit(1)) is None:
                self._fresh_jobs.add(job.id)  # its steps are new: no query for their rows

    def _forget_job(self, session: Session, job: JobRow) -> None:
        """Clear what an interrupted attempt of ``job`` left: steps, annotations, lines."""
        session.execute(delete(StepRow).where(StepRow.job_pk == job.id))
        for cache in (self._step_pks, self._new_steps):
            for key in [key for key in cache if key[1] == job.id]:
                del cache[key]
        for table in (AnnotationRow, LogLineRow):
            session.execute(
                delete(table).where(table.run_id == job.run_id, table.job_key == job.job_key)
            )
        job.conclusion = job.result = job.ended_at = job.duration = None
        job.outputs, job.note, job.environment_url = {}, "", ""

    def _job_waiting(self, session: Session, event: JobWaiting) -> None:
        job = self._job(session, event.run_id, event.job_key)
        job.status, job.environment = _WAITING, event.environment
        job.note = self._mask(event.message)

    def _run_parked(self, session: Session, event: RunParked) -> None:
        """The run waits for decisions: no process holds it; `conveyor resume` continues."""
        run = session.get(RunRow, event.run_id)
        if run is not None:
            run.status, run.conclusion = _WAITING, None
            run.lease_owner, run.lease_expires_at = "", None
            run.heartbeat_at = event.at
            waiting = "; ".join(self._mask(w) for w in event.waiting)
            run.note = f"waiting: {waiting}" if waiting else "waiting"
        self._forget(event.run_id)

    def _step_started(self, session: Session, event: StepStarted) -> None:
        step = self._step(session, event.run_id, event.job_key, event.step_index)
        step.name, step.status = self._mask(event.step_name), _RUNNING
        step.started_at = event.started_at or time.time()

    def _annotation(self, session: Session, event: Annotation) -> None:
        session.add(
            AnnotationRow(
                run_id=event.run_id,
                job_key=event.job_key,
                step_index=event.step_index,
                level=event.level,
                message=self._mask(event.message),
                file=event.file,
                line=event.line,
                col=event.col,
                title=None if event.title is None else self._mask(event.title),
            )
        )

    def _step_finished(self, session: Session, event: StepFinished) -> None:
        step = self._step(session, event.run_id, event.job_key, event.step_index)
        step.name = self._mask(event.step_name) or step.name
        step.status, step.outcome, step.conclusion = (
            _DONE,
            str(event.outcome),
            str(event.conclusion),
        )
        step.exit_code = event.exit_code
        step.started_at = event.started_at or step.started_at
        step.ended_at = event.ended_at or time.time()
        step.duration = _duration(step.started_at, step.ended_at)
        step.outputs = self._mask_map(event.outputs)
        step.summary, step.note = self._mask(event.summary), self._mask(event.note)

    def _job_finished(self, session: Session, event: JobFinished) -> None:
        job = self._job(session, event.run_id, event.job_key)
        job.status, job.conclusion = _DONE, str(event.conclusion)
        job.started_at = event.started_at or job.started_at
        job.ended_at = event.ended_at or time.time()
        job.duration = _duration(job.started_at, job.ended_at)
        job.outputs, job.note = self._mask_map(event.outputs), self._mask(event.note)
        job.result = event.result or _result_of(event.conclusion)
        job.environment_url = self._mask(event.environment_url)

    def _run_finished(self, session: Session, event: RunFinished) -> None:
        run = session.get(RunRow, event.run_id)
        if run is not None:
            run.status, run.conclusion = _DONE, str(event.conclusion)
            run.ended_at = event.ended_at or time.time()
            run.heartbeat_at = run.ended_at
            run.lease_expires_at = None
            run.duration = _duration(run.started_at or run.created_at, run.ended_at)
        self._forget(event.run_id)
