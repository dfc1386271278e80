"""Top level: compile the planned workflows, then run each as one run in the store.

:func:`run_workflows` is what the launchers call; the executor, action provider, store and
sinks come in through :class:`~conveyor.engine.runstate.Services`. Everything that can be
refused -- an action that cannot be found, an invalid called workflow, a bad input -- is
refused before any run is recorded.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import os
import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conveyor.engine.bus import LocalEventBus, StepLog
from conveyor.engine.compile import Compiler, relative_path
from conveyor.engine.concurrency import ConcurrencyRegistry, concurrency_spec
from conveyor.engine.contexts import RunIdentity, github_context
from conveyor.engine.durable import RunRecord, encode_record
from conveyor.engine.events import RunFinished, RunStarted
from conveyor.engine.inputs import build_inputs
from conveyor.engine.jobexec import work_root
from conveyor.engine.jobrun import run_job
from conveyor.engine.ports import NewRun
from conveyor.engine.reusable import make_run_called_workflow
from conveyor.engine.runstate import Control, RunOptions, Services, WorkflowRun
from conveyor.engine.status import Conclusion
from conveyor.engine.wire import JobOutcome, RunRef, SecretBinding, SecretRef
from conveyor.engine.workflowrun import WorkflowJobs
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
    stop_watch = threading.Event()

    def watch() -> None:
        while interrupt is not None and not stop_watch.is_set():
            if interrupt.wait(0.05):
                root.cancel("interrupted")
                return

    watcher = threading.Thread(target=watch, name="interrupt", daemon=True)
    watcher.start()
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
        stop_watch.set()
        registry.close()
    return reports


def _inputs(plan: WorkflowPlan, options: RunOptions) -> dict[str, Any]:
    """The typed ``inputs`` context; checked before a run is recorded, so a refused input
    uses up no run number."""
    base_ctx = {"vars": dict(options.vars), "github": {}, "inputs": {}}
    return build_inputs(plan.inputs, options.inputs, base_ctx, event=options.event, path=plan.path)


def _run_one(
    plan: WorkflowPlan,
    inputs: dict[str, Any],
    *,
    options: RunOptions,
    services: Services,
    bus: LocalEventBus,
    registry: ConcurrencyRegistry,
    control: Control,
    prior: Mapping[str, JobOutcome] | None = None,
) -> RunReport:
    repo = options.repo
    payload = dict(options.payload) or default_payload(
        options.event,
        PayloadRepo(repo.repository, repo.default_branch, repo.actor),
        ref=repo.ref,
        sha=repo.sha,
        inputs=inputs,
    )
    uid = uuid.uuid4().hex
    path = relative_path(Path(plan.file or plan.path), repo.root)
    name = path if plan.name in (plan.path, plan.file) else plan.name
    if services.store is not None:
        record = RunRecord(plan, options_without_secrets(options), inputs, sorted(options.secrets))
        new = NewRun(
            path,
            name,
            options.event,
            repo.ref,
            repo.sha,
            repo.repository,
            os.getpid(),
            uid,
            encode_record(record),
        )
        run_id, run_number = services.store.begin_run(new)
    else:
        run_id = run_number = next(_local_ids)
    run = RunRef(run_id, run_number, path, name, options.event, uid)
    identity = RunIdentity(run_id, run_number, options.event, payload, name, path)
    github = github_context(repo, identity, "")
    root = work_root(options.state_dir, run)
    root.mkdir(parents=True, exist_ok=True)
    event_path = root / "event.json"
    event_path.write_text(json.dumps(payload), encoding="utf-8")
    github["event_path"] = str(event_path)
    bus.publish(
        RunStarted(
            run_id,
            run_number,
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
        bus.publish(RunFinished(run_id, conclusion, time.time()))
    return RunReport(run_id, name, conclusion)


def options_without_secrets(options: RunOptions) -> RunOptions:
    return dataclasses.replace(options, secrets={})
