"""Top level: compile the planned workflows, then run each as one run in the store.

:func:`run_workflows` is what the launchers call; the executor, action provider, store and
sinks come in through :class:`~conveyor.engine.runstate.Services`. Everything that can be
refused -- an action that cannot be found, an invalid called workflow, a bad input -- is
refused before any run is recorded.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import json
import os
import threading
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conveyor.engine.bus import LocalEventBus, StepLog
from conveyor.engine.compile import Compiler, relative_path
from conveyor.engine.concurrency import ConcurrencyRegistry, concurrency_spec
from conveyor.engine.durable import (
    RunRecord,
    decode_record,
    encode_record,
    make_record,
    plan_digest,
)
from conveyor.engine.events import RunFinished, RunParked, RunStarted
from conveyor.engine.inputs import build_inputs
from conveyor.engine.jobexec import work_root
from conveyor.engine.jobrun import run_job
from conveyor.engine.lease import LEASE_SECONDS, LeaseKeeper, new_owner
from conveyor.engine.ports import NewRun, ResumedRun
from conveyor.engine.reusable import make_run_called_workflow
from conveyor.engine.runstate import Control, RunOptions, Services, WorkflowRun
from conveyor.engine.status import Conclusion
from conveyor.engine.wire import JobOutcome, RunRef, SecretBinding, SecretRef
from conveyor.engine.workflowrun import WorkflowJobs
from conveyor.errors import UsageError, UserError
from conveyor.planner.github import RunIdentity, github_context
from conveyor.planner.graph import select_jobs
from conveyor.planner.payloads import PayloadRepo, default_payload
from conveyor.planner.plan import WorkflowPlan

_local_ids = itertools.count(1)


@dataclass(frozen=True)
class RunReport:
    run_id: int
    workflow: str
    conclusion: Conclusion


def compile_workflows(
    plans: Sequence[WorkflowPlan], options: RunOptions, services: Services
) -> list[WorkflowPlan]:
    """Resolve and validate every action and called workflow of the jobs that will run;
    raises :class:`~conveyor.errors.WorkflowInvalid` with every problem found."""
    compiler = Compiler(services.actions, options.repo.root)
    compiled = [
        compiler.workflow(
            plan, select_jobs(plan.graph, list(options.job_filter)), payload=options.payload
        )
        for plan in plans
    ]
    compiler.check()
    return compiled


def secret_bindings(secrets: Mapping[str, str]) -> dict[str, SecretBinding]:
    """The run's own secrets, by reference."""
    return {name: SecretRef(name) for name in secrets}


def run_workflows(
    workflows: Sequence[WorkflowPlan],
    options: RunOptions,
    services: Services,
    interrupt: threading.Event | None = None,
) -> list[RunReport]:
    """Compile, then run the workflows; cancelled when ``interrupt`` is set."""
    compiled = compile_workflows(workflows, options, services)
    inputs = [_inputs(plan, options) for plan in compiled]  # refused before any run exists
    root = Control()
    registry = ConcurrencyRegistry(options.state_dir)
    bus = LocalEventBus(
        [*services.sinks, *([services.store] if services.store else [])], services.masker
    )
    for value in options.secrets.values():
        services.masker.add(value)
    reports: list[RunReport] = []
    lock = threading.Lock()

    def one(index: int) -> None:
        report = _run_one(
            compiled[index],
            inputs[index],
            options=options,
            services=services,
            bus=bus,
            registry=registry,
            control=root.child(),
        )
        with lock:
            reports.append(report)

    with _watching(interrupt, root):
        try:
            if len(compiled) == 1:
                one(0)
            else:
                threads = [threading.Thread(target=one, args=(i,)) for i in range(len(compiled))]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    while thread.is_alive():  # short joins so signal handlers run promptly
                        thread.join(0.1)
        finally:
            registry.close()
    return reports


@contextlib.contextmanager
def _watching(interrupt: threading.Event | None, root: Control) -> Iterator[None]:
    """Cancel ``root`` when ``interrupt`` is set (e.g. by a signal handler)."""
    stop_watch = threading.Event()

    def watch() -> None:
        while interrupt is not None and not stop_watch.is_set():
            if interrupt.wait(0.05):
                root.cancel("interrupted")
                return

    watcher = threading.Thread(target=watch, name="interrupt", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        stop_watch.set()


def _inputs(plan: WorkflowPlan, options: RunOptions) -> dict[str, Any]:
    """The typed ``inputs`` context; checked before a run is recorded, so a refused input
    uses up no run number."""
    base_ctx = {"vars": dict(options.vars), "github": {}, "inputs": {}}
    return build_inputs(plan.inputs, options.inputs, base_ctx, event=options.event, path=plan.path)


def run_actor(payload: Mapping[str, Any], fallback: str) -> str:
    """``github.actor``: the payload's sender, else the repository's actor."""
    sender = payload.get("sender")
    login = sender.get("login") if isinstance(sender, Mapping) else None
    return str(login) if login else fallback


def _run_one(
    plan: WorkflowPlan,
    inputs: dict[str, Any],
    *,
    options: RunOptions,
    services: Services,
    bus: LocalEventBus,
    registry: ConcurrencyRegistry,
    control: Control,
) -> RunReport:
    repo = options.repo
    payload = dict(options.payload) or default_payload(
        options.event,
        PayloadRepo(repo.repository, repo.default_branch, repo.actor),
        ref=repo.ref,
        sha=repo.sha,
        inputs=inputs,
    )
    options = dataclasses.replace(options, payload=payload)
    uid = uuid.uuid4().hex
    path = relative_path(Path(plan.file or plan.path), repo.root)
    name = path if plan.name in (plan.path, plan.file) else plan.name
    owner = new_owner()
    if services.store is not None:
        record = make_record(plan, options, inputs, services.masker)
        new = NewRun(
            workflow_path=path,
            workflow_name=name,
            event=options.event,
            ref=repo.ref,
            sha=repo.sha,
            repository=repo.repository,
            pid=os.getpid(),
            repository_key=repo.history_key,
            repository_url=repo.repository_url,
            uid=uid,
            record=encode_record(record),
            lease_owner=owner,
            lease_seconds=LEASE_SECONDS,
            actor=run_actor(payload, repo.actor),
        )
        run_id, run_number = services.store.begin_run(new)
    else:
        run_id = run_number = next(_local_ids)
    run = RunRef(run_id, run_number, path, name, options.event, uid)
    return _drive(
        plan,
        inputs,
        run,
        owner,
        options=options,
        services=services,
        bus=bus,
        registry=registry,
        control=control,
    )


def resume_workflow(
    resumed: ResumedRun,
    secrets: Mapping[str, str],
    services: Services,
    interrupt: threading.Event | None = None,
    *,
    wait: bool = True,
) -> RunReport:
    """Continue a run whose process died: the jobs it finished are kept, the rest run.

    ``resumed`` comes from the store (:meth:`RunStore.reopen_run`), which gave this
    process the run's lease; ``secrets`` are the run's secrets, found again by name.
    """
    record = decode_record(resumed.record)
    missing = [name for name in record.secret_names if name not in secrets]
    if missing:
        raise UsageError(
            f"run {resumed.run_id} needs the secret(s) {', '.join(missing)} it was started "
            "with; pass them again (--secret, --secret-file or CONVEYOR_SECRET_*)"
        )
    options = dataclasses.replace(record.options, secrets=dict(secrets), wait=wait)
    plan = _replan(record, options, services, resumed.run_id)
    run = RunRef(
        resumed.run_id,
        resumed.run_number,
        resumed.workflow_path,
        resumed.workflow_name,
        options.event,
        resumed.uid,
        resumed.attempt,
    )
    bus = LocalEventBus(
        [*services.sinks, *([services.store] if services.store else [])], services.masker
    )
    bus.start_sequence(run.run_id, resumed.next_seq)
    for value in options.secrets.values():
        services.masker.add(value)
    registry = ConcurrencyRegistry(options.state_dir)
    root = Control()
    with _watching(interrupt, root):
        try:
            return _drive(
                plan,
                dict(record.inputs),
                run,
                resumed.owner,
                options=options,
                services=services,
                bus=bus,
                registry=registry,
                control=root.child(),
                prior=resumed.prior,
            )
        finally:
            registry.close()


def _replan(
    record: RunRecord, options: RunOptions, services: Services, run_id: int
) -> WorkflowPlan:
    """The recorded run's workflow planned and compiled again; refused when it is not what
    the run began with."""
    from conveyor.planner.build import plan_workflow
    from conveyor.workflow.loader import load_workflow

    loaded = load_workflow(record.workflow_file)
    plan = plan_workflow(
        loaded.require(),
        path=record.workflow_file,
        event=options.event,
        payload=options.payload,
        inputs=options.inputs,
        document=loaded.document,
    )
    (compiled,) = compile_workflows([plan], options, services)
    if plan_digest(compiled) != record.plan_digest:
        raise UserError(
            f"run {run_id} cannot be resumed: {record.workflow_file} or an action or workflow "
            "it uses changed since the run began; run the workflow again instead"
        )
    return compiled


def _drive(
    plan: WorkflowPlan,
    inputs: dict[str, Any],
    run: RunRef,
    owner: str,
    *,
    options: RunOptions,
    services: Services,
    bus: LocalEventBus,
    registry: ConcurrencyRegistry,
    control: Control,
    prior: Mapping[str, JobOutcome] | None = None,
) -> RunReport:
    """Run the jobs of a run that has begun (or resumed), holding its lease."""
    repo = options.repo
    run_id, name, path = run.run_id, run.workflow_name, run.workflow_path
    identity = RunIdentity(run_id, run.run_number, name, path, run.attempt)
    github = github_context(options.event, options.payload, repo, identity)
    root = work_root(options.state_dir, run)
    root.mkdir(parents=True, exist_ok=True)
    event_path = root / "event.json"
    event_path.write_text(json.dumps(options.payload), encoding="utf-8")
    github["event_path"] = str(event_path)
    keeper = None
    if services.store is not None:
        keeper = LeaseKeeper(
            services.store,
            run_id,
            owner,
            lambda: control.cancel("another conveyor process took over this run"),
        ).start()
    bus.publish(
        RunStarted(
            run_id,
            run.run_number,
            path,
            name,
            options.event,
            repo.ref,
            repo.sha,
            time.time(),
            os.getpid(),
        )
    )
    wf = WorkflowRun(
        services=services,
        options=options,
        bus=bus,
        registry=registry,
        control=control,
        run=run,
        plan=plan,
        github=github,
        secrets=secret_bindings(options.secrets),
        inputs=inputs,
        prior=prior or {},
    )
    log = StepLog(bus.publish, run_id, "(workflow)", None)
    ctx = {"github": github, "inputs": inputs, "vars": dict(options.vars)}
    token = None
    conclusion = Conclusion.FAILURE
    try:
        group = concurrency_spec(plan.concurrency, ctx)
        if group is not None:
            token = registry.acquire(
                group[0],
                cancel_in_progress=group[1],
                label=f"run {run_id}",
                on_cancel=lambda: control.cancel(f"cancelled by a newer run in '{group[0]}'"),
                abort=control.event(),
                waiting=lambda _h: log.line(f"waiting for concurrency group '{group[0]}'"),
            )
            if token is None:
                control.cancel(f"superseded by a newer run in '{group[0]}'")
        jobs = select_jobs(plan.graph, list(options.job_filter))
        run_call = make_run_called_workflow(run_job)
        conclusion = WorkflowJobs(wf, jobs, run_job=run_job, run_call=run_call).run()
    except Exception as exc:
        log.error(f"{name}: {exc}")
        raise
    finally:
        if token is not None:
            registry.release(token)
        if control.cancelled and conclusion is not Conclusion.FAILURE:
            conclusion = Conclusion.CANCELLED
        if keeper is not None:
            keeper.stop()
        if conclusion is Conclusion.WAITING:
            waiting = tuple(
                f"{key}: {outcome.note}"
                for key, outcome in wf.outcomes.items()
                if outcome.result == "waiting" and outcome.note
            )
            bus.publish(RunParked(run_id, time.time(), waiting))
        else:
            bus.publish(RunFinished(run_id, conclusion, time.time()))
    return RunReport(run_id, name, conclusion)
