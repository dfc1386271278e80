"""The run queue: what the server uses to start, cancel, re-run and resume runs in the
background, on the configured executor.

:meth:`RunQueue.submit` takes a registered repository, a commit, an event and its payload
(a webhook's, or one the API built), checks the commit out from the repository's mirror
(:mod:`conveyor.server.mirrors`), and decides what fires with the same planner as
``conveyor trigger`` (:func:`conveyor.planner.build.plan_workflows`, path filters on the
files changed according to :func:`conveyor.triggers.resolve.changed_files_for`); each
firing workflow runs on a thread of its own through :func:`conveyor.launch.runs.run_plans`
-- the one wiring of the engine -- and ``submit`` returns once every run is recorded, with
the run ids.

Jobs of all runs share ``max_jobs`` execution slots (a wrapper around the executor): a
job waiting for a slot is the queue depth of ``/metrics``.

Shutdown (:meth:`RunQueue.shutdown`) takes no new work, lets running runs finish for a
grace period, then *hands back* the rest: their records stop changing, their steps are
stopped, and their leases are given up, so the next server (or ``conveyor resume``)
continues them -- finished jobs kept. :meth:`RunQueue.resume_interrupted` does that on
start.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from conveyor.engine.events import Event, RunStarted
from conveyor.engine.ports import EventSink, JobExecutor, RunStore
from conveyor.engine.wire import JobOutcome, JobRequest
from conveyor.errors import Conflict, NotFound, Unavailable, UsageError, UserError, WorkflowInvalid
from conveyor.launch.runs import LaunchHooks
from conveyor.server.metrics import Metrics
from conveyor.server.mirrors import Mirrors
from conveyor.server.statuses import CommitStatuses
from conveyor.store.recorder import RERUN_CONCLUSIONS, SqlRunStore
from conveyor.store.server_store import ServerRepository, ServerStore

log = logging.getLogger("conveyor.server.queue")

_START_TIMEOUT = 300.0  # compile + record; a run that has not begun by then is reported


class Stopping(Unavailable, UserError):
    """The server is shutting down and takes no new work (HTTP 503)."""


# ---------------------------------------------------------------- wrappers


class _Slots:
    """The executor, with every job of every run sharing ``slots`` (and measured)."""

    def __init__(self, inner: JobExecutor, queue: RunQueue) -> None:
        self._inner = inner
        self._queue = queue

    def execute(
        self,
        request: JobRequest,
        publish: Callable[[Event], None],
        cancel: threading.Event,
        stop: threading.Event,
    ) -> JobOutcome:
        q = self._queue
        q.metrics.queue_depth.inc()
        held = False
        try:
            while not (held := q.slots.acquire(timeout=0.1)):
                if cancel.is_set() or stop.is_set():
                    break  # the executor ends a cancelled job at once
        finally:
            q.metrics.queue_depth.dec()
        q.metrics.running_jobs.inc()
        started = time.monotonic()
        result = "error"
        try:
            outcome = self._inner.execute(request, publish, cancel, stop)
            result = str(outcome.result)
            return outcome
        finally:
            q.metrics.running_jobs.dec()
            q.metrics.job_seconds.labels(result=result).observe(time.monotonic() - started)
            if held:
                q.slots.release()

    def close(self) -> None:
        self._inner.close()


class _Recording:
    """The run store, until the run is handed back: from then on nothing is recorded and
    the lease is not renewed, so the run stays as it was for the next server."""

    def __init__(self, store: SqlRunStore, active: _Active) -> None:
        self._store = store
        self._active = active

    def begin_run(self, run: Any) -> tuple[int, int]:
        self._active.owner = run.lease_owner
        return self._store.begin_run(run)

    def renew_lease(self, run_id: int, owner: str, seconds: float) -> bool:
        self._active.owner = owner
        if self._active.frozen.is_set():
            return True
        return self._store.renew_lease(run_id, owner, seconds)

    def emit(self, event: Event) -> None:
        if not self._active.frozen.is_set():
            self._store.emit(event)


class _Started:
    """Hears the run begin (its id) and end."""

    def __init__(self, active: _Active, on_start: Callable[[_Active], None]) -> None:
        self._active = active
        self._on_start = on_start

    def emit(self, event: Event) -> None:
        if isinstance(event, RunStarted) and self._active.run_id is None:
            self._active.run_id = event.run_id
            self._on_start(self._active)
            self._active.started.set()


@dataclass(eq=False)
class _Active:
    cause: str
    cancel: threading.Event = field(default_factory=threading.Event)
    frozen: threading.Event = field(default_factory=threading.Event)
    started: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)
    run_id: int | None = None
    owner: str | None = None
    error: BaseException | None = None


# ---------------------------------------------------------------- the queue


class RunQueue:
    """Starts runs in the background on ``executor`` (``local``, ``process``, ``celery``),
    at most ``max_jobs`` jobs at a time over all runs (with Celery: handed to the workers
    at a time; give ``--max-jobs`` the workers' total concurrency)."""

    def __init__(
        self,
        state_dir: Path,
        *,
        executor: str | None = None,
        max_jobs: int | None = None,
        metrics: Metrics | None = None,
        console: TextIO | None = None,
        statuses: CommitStatuses | None = None,
    ) -> None:
        from conveyor.engine.secrets import collect_secrets
        from conveyor.launch.names import executor_name

        self.state_dir = state_dir.resolve()
        self.executor = executor_name(executor)
        # the runs' secrets: CONVEYOR_SECRET_* of the server's environment (and GITHUB_TOKEN's
        # placeholder), found again by name when a run is resumed or re-run
        self.secrets = collect_secrets()
        self.max_jobs = max_jobs or max(2, os.cpu_count() or 2)
        self.slots = threading.BoundedSemaphore(self.max_jobs)
        self.metrics = metrics or Metrics()
        if self.executor == "celery":
            from conveyor.executors.celery_config import CelerySettings
            from conveyor.executors.celery_status import worker_counter

            self.metrics.count_workers(worker_counter(CelerySettings.from_env()))
        else:  # jobs run here: as many workers as job slots
            self.metrics.count_workers(lambda: float(self.max_jobs))
        self.mirrors = Mirrors(self.state_dir)
        self.store = ServerStore(self.state_dir)
        self._console = console if console is not None else Path(os.devnull).open("w")  # noqa: SIM115
        self._owns_console = console is None
        self._lock = threading.Lock()
        self._active: dict[int, _Active] = {}  # by run id
        self._threads: list[threading.Thread] = []
        self.stopping = threading.Event()
        self.statuses = statuses

    # ------------------------------------------------------------ submit

    def submit(
        self,
        repository: str,
        commit: str,
        event: str,
        payload: Mapping[str, Any],
        *,
        ref: str | None = None,
        workflow: str | None = None,
        inputs: Mapping[str, Any] | None = None,
        cause: str = "api",
    ) -> list[int]:
        """Start what ``event`` fires in ``repository`` at ``commit``; the ids of the runs
        started (empty when nothing fires). ``workflow`` (a path in the repository, e.g.
        ``.github/workflows/ci.yml``) limits it to that file; ``inputs`` are dispatch
        inputs, typed and checked against the workflow's ``on.workflow_dispatch.inputs``."""
        from conveyor.engine.runstate import RunOptions
        from conveyor.planner.build import plan_workflows
        from conveyor.workflow.inputs import INPUT_EVENTS, validate_dispatch_inputs

        self.check_open()
        repo = self.repository(repository)
        checkout = self.mirrors.checkout(repo.name, repo.url, commit)
        loaded = _load_workflows(checkout, workflow, event)
        typed: dict[str, Any] | None = None
        strings: dict[str, str] = {}
        data = dict(payload)
        if event in INPUT_EVENTS and workflow is not None:
            checked = validate_dispatch_inputs(loaded[0], dict(inputs or {}))
            typed, strings = dict(checked.typed), dict(checked.strings)
            data["inputs"] = strings
        facts, info = self._facts(
            repo=repo, checkout=checkout, commit=commit, event=event, payload=data, ref=ref
        )
        from conveyor.triggers.resolve import changed_files_for

        changed = changed_files_for(info, event, data)
        plan = plan_workflows(
            loaded, event=event, payload=data, inputs=typed, changed_files=changed
        )
        options = RunOptions(
            repo=facts,
            state_dir=self.state_dir,
            event=event,
            payload=data,
            inputs=strings,
            max_jobs=self.max_jobs,
            secrets=self.secrets,
        )
        firing = plan.firing()
        log.info(
            "planned",
            extra={
                "repository": repo.name,
                "commit": commit,
                "event": event,
                "fires": [w.path for w in firing],
            },
        )
        started = [
            self._start(
                self._runner([wp], options, self._status_sinks(repo, facts.repository, commit)),
                cause,
            )
            for wp in firing
        ]
        return self._ids(started)

    def dispatch(
        self,
        repository: str,
        workflow: str,
        *,
        ref: str | None = None,
        inputs: Mapping[str, Any] | None = None,
        actor: str = "conveyor",
    ) -> list[int]:
        """``workflow_dispatch`` of ``workflow`` (a path in the repository) on ``ref`` (a
        branch, tag or full ref; default: the default branch), fetched first; the run ids."""
        from conveyor.planner.payloads import PayloadRepo, dispatch_payload
        from conveyor.triggers.resolve import branch_ref

        self.check_open()
        repo = self.repository(repository)
        self.mirrors.sync(repo.name, repo.url)
        default = self.mirrors.default_branch(repo.name)
        wanted = ref or default
        commit = self.mirrors.lookup(repo.name, wanted)
        if commit is None:
            raise NotFound(f"repository {repo.name!r} has no branch or tag {wanted!r}")
        if wanted.startswith("refs/"):
            full_ref = wanted
        elif self.mirrors.lookup(repo.name, f"refs/heads/{wanted}") is None and (
            self.mirrors.lookup(repo.name, f"refs/tags/{wanted}") is not None
        ):
            full_ref = f"refs/tags/{wanted}"
        else:
            full_ref = branch_ref(wanted)
        payload = dispatch_payload(
            PayloadRepo(repo.name, default, actor), ref=full_ref, inputs={}, workflow=workflow
        )
        payload["sender"] = {"login": actor}
        return self.submit(
            repo.name,
            commit,
            "workflow_dispatch",
            payload,
            ref=full_ref,
            workflow=workflow,
            inputs=inputs,
            cause="dispatch",
        )

    def _status_sinks(
        self, repo: ServerRepository, full_name: str, commit: str
    ) -> tuple[EventSink, ...]:
        """A run's commit-status reporter, when the repository has a token."""
        from conveyor.git.remotes import repository_from_url

        if self.statuses is None or repo.token_env is None:
            return ()
        name = full_name if "/" in full_name else repository_from_url(repo.url) or full_name
        return (self.statuses.sink(name, commit, repo.token_env),)

    def repository(self, name: str) -> ServerRepository:
        found = self.store.repository(name)
        if found is None:
            raise NotFound(
                f"repository {name!r} is not registered; see conveyor repos list "
                f"(conveyor repos add {name} --url GIT_URL)"
            )
        return found

    def _facts(
        self,
        *,
        repo: ServerRepository,
        checkout: Path,
        commit: str,
        event: str,
        payload: Mapping[str, Any],
        ref: str | None,
    ) -> tuple[Any, Any]:
        from conveyor.git import repo_info
        from conveyor.git.identity import identity_of
        from conveyor.planner.github import RepoFacts
        from conveyor.triggers.resolve import event_ref_of

        default = self.mirrors.default_branch(repo.name)
        identity = identity_of(checkout, repo.url)
        info = dataclasses.replace(
            repo_info(checkout), default_branch=default, sha=commit, identity=identity
        )
        full_ref = ref or event_ref_of(event, payload, info)
        short = full_ref.split("/", 2)[-1]
        repository = payload.get("repository")
        full_name = repository.get("full_name") if isinstance(repository, Mapping) else None
        sender = payload.get("sender")
        actor = sender.get("login") if isinstance(sender, Mapping) else None
        facts = RepoFacts(
            root=checkout,
            sha=commit,
            ref=full_ref,
            ref_name=short,
            branch=short if full_ref.startswith("refs/heads/") else None,
            default_branch=default,
            repository=str(full_name or identity.name),
            actor=str(actor or "conveyor"),
            remote_url=identity.url,
            repository_key=identity.key,
            repository_url=identity.url,
        )
        return facts, info

    # ------------------------------------------------------------ cancel / rerun / resume

    def cancel(self, run_id: int) -> bool:
        """Cancel run ``run_id`` running here; False when it is not running here."""
        with self._lock:
            active = self._active.get(run_id)
        if active is None:
            return False
        active.cancel.set()
        return True

    def rerun(self, run_id: int, failed_only: bool = False) -> list[int]:
        """Run run ``run_id``'s workflow again on the same commit and event (a new run);
        ``failed_only``: the run's next attempt instead, in which its failed jobs and the
        jobs after them run again and the jobs that succeeded keep their outcome and
        outputs, as GitHub's "re-run failed jobs" does."""
        from conveyor.engine.durable import decode_record
        from conveyor.planner.build import plan_workflow
        from conveyor.workflow.loader import load_workflow

        self.check_open()
        text = self.store.run_record(run_id)
        if text is None:
            raise NotFound(f"run {run_id} does not exist, or was recorded without its plan")
        if failed_only:
            self._check_failed(run_id)
            (again,) = self._ids([self._start(self._resumer(run_id, failed_again=True), "rerun")])
            return [again]
        record = decode_record(text)
        options = dataclasses.replace(
            record.options, state_dir=self.state_dir, secrets=self.secrets
        )
        loaded = load_workflow(record.workflow_file)
        plan = plan_workflow(
            loaded.require(),
            path=record.workflow_file,
            event=options.event,
            payload=options.payload,
            inputs=record.inputs,
            document=loaded.document,
        )
        active = self._start(self._runner([plan], options), "rerun")
        return self._ids([active])

    def _check_failed(self, run_id: int) -> None:
        """Refuse a re-run of the failed jobs of a run still going, or with none."""
        store = SqlRunStore(self.state_dir, recover=False)
        try:
            detail = store.get_run(run_id)
        finally:
            store.close()
        if detail is None:
            raise NotFound(f"run {run_id} does not exist")
        if detail.run.status != "completed":
            raise Conflict(f"run {run_id} is {detail.run.status}: re-run it when it has finished")
        if not any(job.conclusion in RERUN_CONCLUSIONS for job in detail.jobs):
            raise UsageError(f"run {run_id} has no failed jobs to re-run")

    def _resumer(self, run_id: int, *, failed_again: bool = False) -> Callable[[_Active], None]:
        from conveyor.launch.runs import resume_run

        def work(active: _Active) -> None:
            resume_run(
                run_id,
                self.secrets,
                self.state_dir,
                active.cancel,
                plain=True,
                executor=self.executor,
                hooks=self._hooks(active),
                failed_again=failed_again,
            )

        return work

    def resume(self, run_id: int) -> int:
        """Continue run ``run_id`` (interrupted, or handed back by a stopped server)."""
        self.check_open()
        (resumed,) = self._ids([self._start(self._resumer(run_id), "resume")])
        return resumed

    def resume_interrupted(self, within: float = 7 * 86400.0) -> list[int]:
        """Resume the server's runs whose server stopped while they ran: recovered now as
        interrupted (their process is gone), or found so by another conveyor since, in the
        last ``within`` seconds, and not resumed since."""
        from conveyor.store.recovery import INTERRUPTED_NOTE

        store = SqlRunStore(self.state_dir, recover=False)
        try:
            recovered = set(store.recover())
        finally:
            store.close()
        recovered.update(self.store.interrupted_runs(time.time() - within, INTERRUPTED_NOTE))
        resumed: list[int] = []
        checkouts = self.mirrors.root / "checkouts"
        for run_id in sorted(recovered):
            if not self._ours(run_id, checkouts):
                continue
            try:
                resumed.append(self.resume(run_id))
                log.info("resumed", extra={"run_id": run_id})
            except UserError as exc:
                log.warning("not resumed", extra={"run_id": run_id, "reason": str(exc)})
        return resumed

    def _ours(self, run_id: int, checkouts: Path) -> bool:
        from conveyor.engine.durable import decode_record

        text = self.store.run_record(run_id)
        if text is None:
            return False
        try:
            root = decode_record(text).options.repo.root
        except ValueError:
            return False
        return Path(root).resolve().is_relative_to(checkouts.resolve())

    # ------------------------------------------------------------ running

    def _hooks(self, active: _Active, extra: tuple[EventSink, ...] = ()) -> LaunchHooks:
        return LaunchHooks(
            sinks=[_Started(active, self._register), *extra],
            wrap_executor=lambda jobs: _Slots(jobs, self),
            wrap_store=lambda store: _as_store(_Recording(store, active)),
            console_stream=self._console,
        )

    def _runner(
        self, plans: list[Any], options: Any, extra: tuple[EventSink, ...] = ()
    ) -> Callable[[_Active], None]:
        from conveyor.launch.runs import run_plans

        def work(active: _Active) -> None:
            run_plans(
                plans,
                options,
                active.cancel,
                plain=True,
                executor=self.executor,
                hooks=self._hooks(active, extra),
            )

        return work

    def _register(self, active: _Active) -> None:
        assert active.run_id is not None
        with self._lock:
            self._active[active.run_id] = active
        self.metrics.active_runs.inc()
        self.metrics.runs_started.labels(cause=active.cause).inc()

    def _start(self, work: Callable[[_Active], None], cause: str) -> _Active:
        active = _Active(cause)

        def target() -> None:
            try:
                work(active)
            except BaseException as exc:  # reported by _ids, or logged once started
                active.error = exc
                if active.run_id is not None:
                    log.error("run failed", extra={"run_id": active.run_id, "error": str(exc)})
            finally:
                if active.run_id is not None:
                    with self._lock:
                        self._active.pop(active.run_id, None)
                    self.metrics.active_runs.dec()
                active.done.set()

        thread = threading.Thread(target=target, name=f"conveyor-run-{cause}", daemon=True)
        with self._lock:
            self._threads = [t for t in self._threads if t.is_alive()]
            self._threads.append(thread)
        thread.start()
        return active

    def _ids(self, started: list[_Active]) -> list[int]:
        """Wait until each run is recorded; its id. The first error (e.g. an invalid
        workflow) is raised when no run began at all."""
        ids: list[int] = []
        errors: list[BaseException] = []
        for active in started:
            deadline = time.monotonic() + _START_TIMEOUT
            while not active.started.is_set() and not active.done.is_set():
                if time.monotonic() > deadline:
                    raise UserError("a run did not begin within 300 s; see the server's log")
                active.started.wait(0.05)
            if active.run_id is not None:
                ids.append(active.run_id)
            elif active.error is not None:
                errors.append(active.error)
        if errors and not ids:
            raise errors[0]
        for error in errors:
            log.error("a workflow did not start", extra={"error": str(error)})
        return ids

    # ------------------------------------------------------------ state

    def wait_for(self, run_ids: list[int], cancel: threading.Event | None = None) -> str:
        """Wait until the runs end here (or ``cancel`` is set): ``success``, ``failure``
        or ``cancelled``."""
        while True:
            with self._lock:
                running = [i for i in run_ids if i in self._active]
            if not running:
                break
            if cancel is not None and cancel.is_set():
                return "cancelled"
            time.sleep(0.1)
        store = SqlRunStore(self.state_dir, recover=False)
        try:
            ends = [store.get_run(i) for i in run_ids]
        finally:
            store.close()
        conclusions = {d.run.conclusion for d in ends if d is not None}
        if "cancelled" in conclusions:
            return "cancelled"
        return "success" if conclusions <= {"success", "skipped"} else "failure"

    def active_runs(self) -> list[int]:
        with self._lock:
            return sorted(self._active)

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no run is in progress here; False on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                alive = [t for t in self._threads if t.is_alive()]
            if not alive:
                return True
            if time.monotonic() >= deadline:
                return False
            alive[0].join(min(0.1, max(0.0, deadline - time.monotonic())))

    def check_open(self) -> None:
        if self.stopping.is_set():
            raise Stopping("the server is shutting down and takes no new runs; retry later")

    # ------------------------------------------------------------ shutdown

    def shutdown(self, grace: float = 30.0) -> list[int]:
        """Take no new work; let runs finish for ``grace`` seconds, then hand back the
        rest (returned) for the next server to resume."""
        self.stopping.set()
        handed: list[int] = []
        if not self.wait_idle(grace):
            handed = self._hand_back()
        self.store.close()
        if self._owns_console:
            self._console.close()
        return handed

    def _hand_back(self) -> list[int]:
        with self._lock:
            active = list(self._active.values())
        for item in active:
            item.frozen.set()  # nothing more is recorded for it
        store = SqlRunStore(self.state_dir, recover=False)
        try:
            for item in active:
                if item.run_id is not None and item.owner is not None:
                    store.renew_lease(item.run_id, item.owner, -1.0)  # lease given up
        finally:
            store.close()
        for item in active:
            item.cancel.set()  # stops its steps; the record stays as it was
        self.wait_idle(10.0)
        handed = [item.run_id for item in active if item.run_id is not None]
        log.warning("handed back", extra={"run_ids": handed})
        return handed


def _as_store(recording: _Recording) -> RunStore:
    return recording


def _load_workflows(checkout: Path, workflow: str | None, event: str) -> list[Any]:
    from conveyor.workflow import discover_workflows, is_action_file, load_workflow

    if workflow is not None:
        path = (checkout / workflow).resolve()
        if not path.is_relative_to(checkout.resolve()) or not path.is_file():
            raise NotFound(f"workflow {workflow!r} is not a file of the repository at that commit")
        files = [str(path)]
    else:
        folder = checkout / ".github" / "workflows"
        if not folder.is_dir():
            return []
        files = [f for f in discover_workflows(str(folder)) if not is_action_file(f)]
    loaded = [load_workflow(f) for f in files]
    errors = [d for item in loaded for d in item.diagnostics if d.is_error]
    if errors:
        raise WorkflowInvalid(errors)
    if workflow is not None and event == "workflow_dispatch":
        model = loaded[0].require()
        if "workflow_dispatch" not in model.events():
            raise UsageError(f"{workflow}: the workflow has no 'workflow_dispatch' trigger")
    return loaded
