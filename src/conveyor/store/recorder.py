""":class:`SqlRunStore`: the engine's :class:`~conveyor.engine.ports.RunStore` on SQLAlchemy.

Every event is its own transaction (a crash loses at most the event in flight and never
corrupts the database); log lines go to files only. Text is masked again with the
store's :class:`Masker`, if given, as a second line of defence.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from conveyor.engine.events import (
    Annotation,
    Event,
    JobFinished,
    JobStarted,
    LogLine,
    RunFinished,
    RunStarted,
    StepFinished,
    StepStarted,
)
from conveyor.engine.masking import Masker
from conveyor.engine.ports import NewRun
from conveyor.engine.status import RunState
from conveyor.store import queries
from conveyor.store.database import StateDatabase
from conveyor.store.logs import LogFiles
from conveyor.store.models import AnnotationRow, JobRow, RunRow, StepRow
from conveyor.store.numbering import next_run_number
from conveyor.store.recovery import recover_interrupted

_RUNNING, _DONE = RunState.IN_PROGRESS.value, RunState.COMPLETED.value


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
        heartbeat_interval: float = 5.0,
        stale_after: float = 3600.0,
        recover: bool = True,
    ) -> None:
        super().__init__(state_dir, url)
        self.host = socket.gethostname()
        self._masker = masker
        self._heartbeat_interval = heartbeat_interval
        self._stale_after = stale_after
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        self._write = sessionmaker(self.writer, expire_on_commit=False)
        self._lock = threading.RLock()
        self._logs = LogFiles(self.state_dir)
        self._job_pks: dict[tuple[int, str], int] = {}
        self._beats: dict[int, float] = {}
        self._handlers: dict[type[Any], Callable[[Session, Any], None]] = {
            RunStarted: self._run_started,
            JobStarted: self._job_started,
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
        with self._lock:
            self._logs.close_all()
            super().close()

    def recover(self) -> list[int]:
        """Mark runs whose process died as interrupted; returns their ids."""
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
                status=_RUNNING,
                created_at=now,
                started_at=now,
                heartbeat_at=now,
                pid=run.pid or os.getpid(),
                host=self.host,
                note="",
            )
            session.add(row)
            session.flush()
            self._beats[row.id] = now
            return row.id, number

    def emit(self, event: Event) -> None:
        with self._lock:
            now = time.time()
            due = now - self._beats.get(event.run_id, 0.0) >= self._heartbeat_interval
            if isinstance(event, LogLine):
                self._logs.write(
                    event.run_id, event.job_key, event.step_index, self._mask(event.text)
                )
                if not due:
                    return
            with self._write.begin() as session:
                handler = self._handlers.get(type(event))
                if handler is not None:
                    handler(session, event)
                if due and not isinstance(event, RunFinished):
                    session.execute(
                        update(RunRow)
                        .where(RunRow.id == event.run_id, RunRow.status != _DONE)
                        .values(heartbeat_at=now)
                    )
                    self._beats[event.run_id] = now

    # ------------------------------------------------------------------ queries

    def list_runs(
        self,
        *,
        repository_id: int | None = None,
        workflow: str | None = None,
        status: str | None = None,
        limit: int | None = 20,
    ) -> list[queries.RunInfo]:
        """Newest first; of one repository, or of all with ``repository_id`` None."""
        return queries.list_runs(
            self._read, repository_id=repository_id, workflow=workflow, status=status, limit=limit
        )

    def get_run(self, run_id: int) -> queries.RunDetail | None:
        return queries.get_run(self._read, self.state_dir, run_id)

    def latest_run_id(self, repository_id: int | None = None) -> int | None:
        return queries.latest_run_id(self._read, repository_id)

    def log_paths(self, run_id: int) -> list[tuple[str, int | None, Path]]:
        detail = self.get_run(run_id)
        return [] if detail is None else queries.log_paths(detail)

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
                log_dir=self._logs.job_dir(run_id, job_key),
            )
            session.add(job)
            session.flush()
        self._job_pks[(run_id, job_key)] = job.id
        return job

    def _step(self, session: Session, run_id: int, job_key: str, index: int) -> StepRow:
        job = self._job(session, run_id, job_key)
        step = session.scalars(
            select(StepRow).where(StepRow.job_pk == job.id, StepRow.step_index == index)
        ).one_or_none()
        if step is None:
            step = StepRow(
                run_id=run_id,
                job_pk=job.id,
                step_index=index,
                name="",
                status=RunState.QUEUED.value,
                outputs={},
                summary="",
                note="",
                log_file="",
            )
            session.add(step)
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
        job.job_id, job.name = event.job_id, event.name or event.job_key
        job.matrix, job.runs_on = dict(event.matrix), list(event.runs_on)
        job.status, job.started_at = _RUNNING, event.started_at or time.time()

    def _step_started(self, session: Session, event: StepStarted) -> None:
        step = self._step(session, event.run_id, event.job_key, event.step_index)
        step.name, step.status = event.step_name, _RUNNING
        step.started_at = event.started_at or time.time()
        step.log_file = self._logs.step_file(
            event.run_id, event.job_key, event.step_index, event.step_name
        )

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
        step.name = event.step_name or step.name
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
        known = self._logs.known_step_file(event.run_id, event.job_key, event.step_index)
        step.log_file = known or step.log_file
        self._logs.close_step(event.run_id, event.job_key, event.step_index)

    def _job_finished(self, session: Session, event: JobFinished) -> None:
        job = self._job(session, event.run_id, event.job_key)
        job.status, job.conclusion = _DONE, str(event.conclusion)
        job.started_at = event.started_at or job.started_at
        job.ended_at = event.ended_at or time.time()
        job.duration = _duration(job.started_at, job.ended_at)
        job.outputs, job.note = self._mask_map(event.outputs), self._mask(event.note)
        self._logs.close_job(event.run_id, event.job_key)

    def _run_finished(self, session: Session, event: RunFinished) -> None:
        run = session.get(RunRow, event.run_id)
        if run is not None:
            run.status, run.conclusion = _DONE, str(event.conclusion)
            run.ended_at = event.ended_at or time.time()
            run.heartbeat_at = run.ended_at
            run.duration = _duration(run.started_at or run.created_at, run.ended_at)
        self._logs.close_run(event.run_id)
        self._beats.pop(event.run_id, None)
        self._job_pks = {k: v for k, v in self._job_pks.items() if k[0] != event.run_id}
