""":class:`SqlRunStore`: the engine's :class:`~conveyor.engine.ports.RunStore`.

Runs are recorded through the database's driver with plain SQL
(:mod:`conveyor.store.dbapi`): a run imports no SQLAlchemy, which would cost it more
memory than everything else it does. The query methods read with SQLAlchemy
(:mod:`conveyor.store.queries`), which is imported when one is first called.

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
from typing import TYPE_CHECKING, Any, NamedTuple

import msgspec

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
from conveyor.store.database import StateDatabase
from conveyor.store.dbapi import DirectDatabase, Statements, from_json, to_json
from conveyor.store.loglines import FLUSH_SECONDS, LogWriter, last_seq, read_lines
from conveyor.store.numbering import next_run_number
from conveyor.store.recovery import LEASE_COLUMNS, LeaseColumns, lease_is_live, recover_interrupted
from conveyor.store.repositories import ensure_repository

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from conveyor.store import queries

_RUNNING, _DONE = RunState.IN_PROGRESS.value, RunState.COMPLETED.value
_WAITING = RunState.WAITING.value
# Written in one transaction per burst when they come fast (see the module's docstring).
_BATCHED = (StepStarted, StepFinished, Annotation)


def _result_of(conclusion: str) -> str:
    """``needs.<id>.result`` for a conclusion (a timeout is a failure)."""
    return "failure" if conclusion == Conclusion.TIMED_OUT.value else str(conclusion)


class _Job(NamedTuple):
    """What a resume needs of a job of the run's earlier attempt."""

    job_key: str
    job_id: str
    status: str
    conclusion: str | None
    result: str | None
    outputs: dict[str, str]
    note: str
    environment_url: str
    needs: list[str]


_JOB_COLUMNS = "job_key, job_id, status, conclusion, result, outputs, note, environment_url, needs"


def _outcome(job: _Job) -> JobOutcome:
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


def _kept_on_rerun(run_id: int, jobs: list[_Job]) -> list[_Job]:
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


_NEW_STEP = {  # a step row's columns before its events set them
    "name": "",
    "status": RunState.QUEUED.value,
    "outcome": None,
    "conclusion": None,
    "exit_code": None,
    "started_at": None,
    "ended_at": None,
    "duration": None,
    "outputs": "{}",
    "summary": "",
    "note": "",
    "log_file": "",
}
_INSERT_STEP = (
    f"INSERT INTO steps (run_id, job_pk, step_index, {', '.join(_NEW_STEP)}) "
    f"VALUES (:run_id, :job_pk, :step_index, {', '.join(':' + c for c in _NEW_STEP)})"
)
_RUN_COLUMNS = (
    "repository_id, run_number, workflow_path, workflow_name, event, ref, sha, repository, "
    "actor, status, created_at, started_at, heartbeat_at, pid, host, note, uid, attempt, "
    "record, lease_owner, lease_expires_at"
)
_StepKey = tuple[int, int, int]  # (run id, job pk, step index)


def _assignments(values: dict[str, Any]) -> str:
    return ", ".join(f"{column} = :{column}" for column in values)


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
        super().__init__(state_dir, url, connect=False)
        self.host = socket.gethostname()
        self._masker = masker
        self._stale_after = stale_after
        self.direct = DirectDatabase(self.url, self.state_dir)
        self._sessions: sessionmaker[Session] | None = None
        self._lock = threading.RLock()
        self._pending: list[Event] = []  # batched step events not yet written
        self._written = 0.0  # time.monotonic() of the last write of events
        self._lines = LogWriter(self.direct, self._mask, tick=self._write_pending)
        self._repository_ids: dict[str, int] = {}
        self._job_pks: dict[tuple[int, str], int] = {}
        self._job_starts: dict[int, float | None] = {}  # job pk -> started_at, while running
        self._run_starts: dict[int, float] = {}  # run id -> started_at, while running
        self._steps: dict[_StepKey, tuple[str, float | None]] = {}  # stored: (name, started)
        self._new_steps: dict[_StepKey, dict[str, Any]] = {}  # inserted at the commit
        self._fresh_jobs: set[int] = set()  # job pks started here with no step rows yet
        self._seqs: dict[int, int] = {}  # the last sequence number given here, per run
        self._handlers: dict[type[Any], Callable[[Statements, Any], None]] = {
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
            self.direct.close()
            super().close()

    def recover(self) -> list[int]:
        """Mark runs whose process died (lease run out, or gone from this host) as
        interrupted; returns their ids."""
        return recover_interrupted(self.direct, self.host, self._stale_after)

    def repository_id(self, key: str, name: str = "", url: str | None = None) -> int:
        known = self._repository_ids.get(key)
        if known is None:
            with self.direct.transaction() as sql:
                known = ensure_repository(sql, key, name or key, url)
            self._repository_ids[key] = known
        return known

    @property
    def _read(self) -> sessionmaker[Session]:
        """SQLAlchemy sessions for the query methods (imported when first read)."""
        if self._sessions is None:
            from sqlalchemy.orm import sessionmaker

            self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        return self._sessions

    # ------------------------------------------------------------------ RunStore

    def begin_run(self, run: NewRun) -> tuple[int, int]:
        now = time.time()
        repository_id = self.repository_id(run.repository_key, run.repository, run.repository_url)
        with self._lock, self.direct.transaction() as sql:
            number = next_run_number(sql, repository_id, run.workflow_path)
            values = {
                "repository_id": repository_id,
                "run_number": number,
                "workflow_path": run.workflow_path,
                "workflow_name": run.workflow_name,
                "event": run.event,
                "ref": run.ref,
                "sha": run.sha,
                "repository": run.repository,
                "actor": run.actor,
                "status": _RUNNING,
                "created_at": now,
                "started_at": now,
                "heartbeat_at": now,
                "pid": run.pid or os.getpid(),
                "host": self.host,
                "note": "",
                "uid": run.uid,
                "attempt": 1,
                "record": run.record.decode("utf-8") if run.record else None,
                "lease_owner": run.lease_owner,
                "lease_expires_at": now + run.lease_seconds if run.lease_owner else None,
            }
            placeholders = ", ".join(":" + column for column in values)
            run_id = int(
                sql.scalar(
                    f"INSERT INTO runs ({_RUN_COLUMNS}) VALUES ({placeholders}) RETURNING id",
                    values,
                )
            )
        self._run_starts[run_id] = now
        return run_id, number

    def renew_lease(self, run_id: int, owner: str, seconds: float) -> bool:
        now = time.time()
        with self.direct.transaction() as sql:
            return bool(
                sql.execute(
                    "UPDATE runs SET lease_expires_at = :expires, heartbeat_at = :now "
                    "WHERE id = :id AND lease_owner = :owner AND status != :done",
                    {"expires": now + seconds, "now": now, "id": run_id, "owner": owner,
                     "done": _DONE},
                )
            )  # fmt: skip

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
        seq = last_seq(self.direct, run_id) + 1  # nothing writes lines of a dead run
        lock = " FOR UPDATE" if self.direct.backend == "postgresql" else ""
        with self._lock, self.direct.transaction() as sql:
            found = sql.rows(
                "SELECT status, conclusion, record, attempt, note, run_number, workflow_path, "
                f"workflow_name, uid, {LEASE_COLUMNS} FROM runs WHERE id = :id{lock}",
                {"id": run_id},
            )
            if not found:
                raise UserError(f"run {run_id} does not exist; see conveyor runs --all")
            status, conclusion, record, attempt, note, number, path, name, uid = found[0][:9]
            lease = LeaseColumns(*found[0][9:])
            if failed_again and status != _DONE:
                raise UserError(f"run {run_id} has not finished: re-run it when it has")
            if not failed_again and status == _DONE and conclusion != Conclusion.INTERRUPTED.value:
                raise UserError(
                    f"run {run_id} finished ({conclusion}); only a run whose process "
                    "died can be resumed"
                )
            if status == _RUNNING and lease_is_live(lease, self.host, now, self._stale_after):
                raise UserError(
                    f"run {run_id} is still running (pid {lease.pid} on {lease.host}); wait "
                    "for it, or stop that process first"
                )
            if not record:
                raise UserError(
                    f"run {run_id} cannot be resumed: it was recorded without its plan "
                    "(by conveyor test, or an older conveyor); run the workflow again"
                )
            jobs = [
                _Job(key, job, state, ended, result, from_json(outputs) or {}, job_note, url,
                     from_json(needs) or [])
                for key, job, state, ended, result, outputs, job_note, url, needs in sql.rows(
                    f"SELECT {_JOB_COLUMNS} FROM jobs WHERE run_id = :id", {"id": run_id}
                )
            ]  # fmt: skip
            if failed_again:
                prior = {job.job_key: _outcome(job) for job in _kept_on_rerun(run_id, jobs)}
                attempt += 1
                note = f"attempt {attempt}: failed jobs run again"
            else:
                prior = {
                    job.job_key: _outcome(job)
                    for job in jobs
                    if job.status == _DONE and job.result and job.conclusion != "interrupted"
                }
            kept = [line for line in note.splitlines() if not line.startswith("waiting")]
            note = "\n".join([*kept, f"resumed by pid {os.getpid()} on {self.host}"])
            sql.execute(
                "UPDATE runs SET status = :running, conclusion = NULL, ended_at = NULL, "
                "duration = NULL, pid = :pid, host = :host, lease_owner = :owner, "
                "lease_expires_at = :expires, heartbeat_at = :now, attempt = :attempt, "
                "note = :note WHERE id = :id",
                {"running": _RUNNING, "pid": os.getpid(), "host": self.host, "owner": owner,
                 "expires": now + seconds, "now": now, "attempt": attempt, "note": note,
                 "id": run_id},
            )  # fmt: skip
            return ResumedRun(
                run_id=run_id,
                run_number=number,
                workflow_path=path,
                workflow_name=name,
                uid=uid,
                attempt=attempt,
                record=record.encode("utf-8"),
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
                with self.direct.transaction() as sql:
                    for event in events:
                        handler = self._handlers.get(type(event))
                        if handler is not None:
                            handler(sql, event)
                    if self._new_steps:  # a burst of new steps: one multi-row insert
                        sql.executemany(_INSERT_STEP, self._new_steps.values())
                for key, row in self._new_steps.items():
                    if row["status"] != _DONE:
                        self._steps[key] = (row["name"], row["started_at"])
            except BaseException:
                self._job_pks.clear()  # what this transaction stored is gone
                self._steps.clear()
                self._fresh_jobs.clear()
                raise
            finally:
                self._new_steps.clear()
            self._written = time.monotonic()

    def _next_seq(self, run_id: int) -> int:
        with self._lock:
            seq = self._seqs.get(run_id)
            if seq is None:
                self._lines.flush()
                seq = last_seq(self.direct, run_id)
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
        from conveyor.store import queries

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
        from conveyor.store import queries

        self._write_pending()
        return queries.get_run(self._read, self.state_dir, run_id)

    def latest_run_id(self, repository_id: int | None = None) -> int | None:
        from conveyor.store import queries

        self._write_pending()
        return queries.latest_run_id(self._read, repository_id)

    # ------------------------------------------------------------------ event handlers

    def _mask(self, text: str) -> str:
        return self._masker.mask(text) if self._masker is not None else text

    def _mask_map(self, values: dict[str, str]) -> dict[str, str]:
        return {key: self._mask(str(value)) for key, value in values.items()}

    def _job(self, sql: Statements, run_id: int, job_key: str) -> int:
        """The job's primary key; a job seen first finishing (skipped) gets its row."""
        pk = self._job_pks.get((run_id, job_key))
        if pk is None:
            pk = sql.scalar(
                "SELECT id FROM jobs WHERE run_id = :run_id AND job_key = :job_key",
                {"run_id": run_id, "job_key": job_key},
            )
        if pk is None:  # e.g. a skipped job: finished without having started
            pk = self._insert_job(
                sql,
                run_id,
                job_key,
                {"job_id": job_key.split(" (", 1)[0], "name": job_key, "matrix": "{}",
                 "runs_on": "[]", "status": RunState.QUEUED.value, "started_at": None,
                 "environment": None, "needs": "[]"},
            )  # fmt: skip
        self._job_pks[(run_id, job_key)] = int(pk)
        return int(pk)

    def _insert_job(
        self, sql: Statements, run_id: int, job_key: str, values: dict[str, Any]
    ) -> int:
        row = {"run_id": run_id, "job_key": job_key, **values, "outputs": "{}", "note": "",
               "log_dir": "", "environment_url": ""}  # fmt: skip
        columns = ", ".join(row)
        placeholders = ", ".join(":" + column for column in row)
        return int(
            sql.scalar(f"INSERT INTO jobs ({columns}) VALUES ({placeholders}) RETURNING id", row)
        )

    def _forget(self, run_id: int) -> None:
        pks = {v for k, v in self._job_pks.items() if k[0] == run_id}
        self._fresh_jobs -= pks
        for pk in pks:
            self._job_starts.pop(pk, None)
        self._run_starts.pop(run_id, None)
        self._job_pks = {k: v for k, v in self._job_pks.items() if k[0] != run_id}
        self._steps = {k: v for k, v in self._steps.items() if k[0] != run_id}
        self._new_steps = {k: v for k, v in self._new_steps.items() if k[0] != run_id}

    def _step_key(self, sql: Statements, run_id: int, job_key: str, index: int) -> _StepKey:
        job_pk = self._job_pks.get((run_id, job_key))
        if job_pk is None:
            job_pk = self._job(sql, run_id, job_key)
        return (run_id, job_pk, index)

    def _stored_step(self, sql: Statements, key: _StepKey) -> tuple[str, float | None] | None:
        """(name, started_at) of the step's row, if it has one: a new row of this
        transaction, one written here before, or (a job not started here) one read."""
        new = self._new_steps.get(key)
        if new is not None:
            return new["name"], new["started_at"]
        known = self._steps.get(key)
        if known is not None or key[1] in self._fresh_jobs:
            return known
        found = sql.rows(
            "SELECT name, started_at FROM steps WHERE job_pk = :job_pk AND step_index = :index",
            {"job_pk": key[1], "index": key[2]},
        )
        return (found[0][0], found[0][1]) if found else None

    def _set_step(
        self, sql: Statements, key: _StepKey, values: dict[str, Any], *, stored: bool | None = None
    ) -> None:
        """Give the step's row ``values`` (``stored``: whether it has a row, if the caller
        looked). A row new in this transaction is inserted with the others at its commit
        (a burst of steps is one multi-row insert, and a step that starts and ends in it
        is inserted as it ended)."""
        new = self._new_steps.get(key)
        if new is not None:
            new.update(values)
            return
        if stored is None:
            stored = self._stored_step(sql, key) is not None
        if stored:
            sql.execute(
                f"UPDATE steps SET {_assignments(values)} "
                "WHERE job_pk = :key_job_pk AND step_index = :key_index",
                {**values, "key_job_pk": key[1], "key_index": key[2]},
            )
        else:
            run_id, job_pk, index = key
            self._new_steps[key] = {
                **_NEW_STEP, **values, "run_id": run_id, "job_pk": job_pk, "step_index": index
            }  # fmt: skip

    def _run_started(self, sql: Statements, event: RunStarted) -> None:
        changed = sql.execute(
            "UPDATE runs SET status = :status, started_at = COALESCE(:started, started_at), "
            "workflow_name = COALESCE(NULLIF(:name, ''), workflow_name), event = :event, "
            "ref = :ref, sha = :sha, pid = COALESCE(NULLIF(:pid, 0), pid) WHERE id = :id",
            {"status": _RUNNING, "started": event.started_at or None,
             "name": event.workflow_name, "event": event.event, "ref": event.ref,
             "sha": event.sha, "pid": event.pid, "id": event.run_id},
        )  # fmt: skip
        if not changed:
            raise ValueError(f"run {event.run_id} was not created with begin_run()")
        if event.started_at:
            self._run_starts[event.run_id] = event.started_at

    def _job_started(self, sql: Statements, event: JobStarted) -> None:
        started = event.started_at or time.time()
        values = {
            "job_id": event.job_id,
            "name": event.name or event.job_key,
            "matrix": to_json(dict(event.matrix)),
            "runs_on": to_json(list(event.runs_on)),
            "status": _RUNNING,
            "started_at": started,
            "environment": event.environment,
            "needs": to_json(list(event.needs)),
        }
        found = sql.rows(
            "SELECT id, status FROM jobs WHERE run_id = :run_id AND job_key = :job_key",
            {"run_id": event.run_id, "job_key": event.job_key},
        )
        if not found:
            pk = self._insert_job(sql, event.run_id, event.job_key, values)
            self._fresh_jobs.add(pk)  # its steps are new: no query for their rows
        else:
            pk, status = int(found[0][0]), found[0][1]
            if status == _DONE:  # run again after a resume: its earlier attempt goes
                self._forget_job(sql, pk, event.run_id, event.job_key)
            sql.execute(
                f"UPDATE jobs SET {_assignments(values)} WHERE id = :pk", {**values, "pk": pk}
            )
            if sql.scalar("SELECT id FROM steps WHERE job_pk = :pk LIMIT 1", {"pk": pk}) is None:
                self._fresh_jobs.add(pk)
        self._job_pks[(event.run_id, event.job_key)] = pk
        self._job_starts[pk] = started

    def _forget_job(self, sql: Statements, pk: int, run_id: int, job_key: str) -> None:
        """Clear what an interrupted attempt of the job left: steps, annotations, lines."""
        sql.execute("DELETE FROM steps WHERE job_pk = :pk", {"pk": pk})
        for cache in (self._steps, self._new_steps):
            for key in [key for key in cache if key[1] == pk]:
                del cache[key]
        for table in ("annotations", "log_lines"):
            sql.execute(
                f"DELETE FROM {table} WHERE run_id = :run_id AND job_key = :job_key",
                {"run_id": run_id, "job_key": job_key},
            )
        sql.execute(
            "UPDATE jobs SET conclusion = NULL, result = NULL, ended_at = NULL, "
            "duration = NULL, outputs = :outputs, note = '', environment_url = '' "
            "WHERE id = :pk",
            {"outputs": "{}", "pk": pk},
        )

    def _job_waiting(self, sql: Statements, event: JobWaiting) -> None:
        pk = self._job(sql, event.run_id, event.job_key)
        sql.execute(
            "UPDATE jobs SET status = :status, environment = :environment, note = :note "
            "WHERE id = :pk",
            {"status": _WAITING, "environment": event.environment,
             "note": self._mask(event.message), "pk": pk},
        )  # fmt: skip

    def _run_parked(self, sql: Statements, event: RunParked) -> None:
        """The run waits for decisions: no process holds it; `conveyor resume` continues."""
        waiting = "; ".join(self._mask(w) for w in event.waiting)
        sql.execute(
            "UPDATE runs SET status = :status, conclusion = NULL, lease_owner = '', "
            "lease_expires_at = NULL, heartbeat_at = :at, note = :note WHERE id = :id",
            {"status": _WAITING, "at": event.at,
             "note": f"waiting: {waiting}" if waiting else "waiting", "id": event.run_id},
        )  # fmt: skip
        self._forget(event.run_id)

    def _step_started(self, sql: Statements, event: StepStarted) -> None:
        key = self._step_key(sql, event.run_id, event.job_key, event.step_index)
        name, started = self._mask(event.step_name), event.started_at or time.time()
        self._set_step(sql, key, {"name": name, "status": _RUNNING, "started_at": started})
        if key not in self._new_steps:
            self._steps[key] = (name, started)

    def _annotation(self, sql: Statements, event: Annotation) -> None:
        sql.execute(
            "INSERT INTO annotations (run_id, job_key, step_index, level, message, file, "
            "line, col, title) VALUES (:run_id, :job_key, :step_index, :level, :message, "
            ":file, :line, :col, :title)",
            {"run_id": event.run_id, "job_key": event.job_key,
             "step_index": event.step_index, "level": event.level,
             "message": self._mask(event.message), "file": event.file, "line": event.line,
             "col": event.col, "title": None if event.title is None else self._mask(event.title)},
        )  # fmt: skip

    def _step_finished(self, sql: Statements, event: StepFinished) -> None:
        key = self._step_key(sql, event.run_id, event.job_key, event.step_index)
        stored = self._stored_step(sql, key)
        stored_name, stored_started = stored or ("", None)
        started = event.started_at or stored_started
        ended = event.ended_at or time.time()
        values = {
            "name": self._mask(event.step_name) or stored_name,
            "status": _DONE,
            "outcome": str(event.outcome),
            "conclusion": str(event.conclusion),
            "exit_code": event.exit_code,
            "started_at": started,
            "ended_at": ended,
            "duration": _duration(started, ended),
            "outputs": to_json(self._mask_map(event.outputs)),
            "summary": self._mask(event.summary),
            "note": self._mask(event.note),
        }
        self._set_step(sql, key, values, stored=stored is not None)
        self._steps.pop(key, None)

    def _job_finished(self, sql: Statements, event: JobFinished) -> None:
        pk = self._job(sql, event.run_id, event.job_key)
        started = event.started_at or self._job_starts.pop(pk, None)
        if not started:
            started = sql.scalar("SELECT started_at FROM jobs WHERE id = :pk", {"pk": pk})
        ended = event.ended_at or time.time()
        sql.execute(
            "UPDATE jobs SET status = :status, conclusion = :conclusion, "
            "started_at = :started, ended_at = :ended, duration = :duration, "
            "outputs = :outputs, note = :note, result = :result, "
            "environment_url = :environment_url WHERE id = :pk",
            {"status": _DONE, "conclusion": str(event.conclusion), "started": started,
             "ended": ended, "duration": _duration(started, ended),
             "outputs": to_json(self._mask_map(event.outputs)),
             "note": self._mask(event.note),
             "result": event.result or _result_of(event.conclusion),
             "environment_url": self._mask(event.environment_url), "pk": pk},
        )  # fmt: skip

    def _run_finished(self, sql: Statements, event: RunFinished) -> None:
        started = self._run_starts.get(event.run_id)
        if started is None:
            found = sql.rows(
                "SELECT started_at, created_at FROM runs WHERE id = :id", {"id": event.run_id}
            )
            started = (found[0][0] or found[0][1]) if found else None
        ended = event.ended_at or time.time()
        sql.execute(
            "UPDATE runs SET status = :status, conclusion = :conclusion, ended_at = :ended, "
            "heartbeat_at = :ended, lease_expires_at = NULL, duration = :duration "
            "WHERE id = :id",
            {"status": _DONE, "conclusion": str(event.conclusion), "ended": ended,
             "duration": _duration(started, ended), "id": event.run_id},
        )  # fmt: skip
        self._forget(event.run_id)
