"""Top level: run every given workflow concurrently, each as one run in the store.

:func:`run_workflows` is what the CLI calls; concrete runner, action provider, store and
sinks come in through :class:`~conveyor.engine.runstate.Services`.
"""

from __future__ import annotations

import itertools
import json
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conveyor.engine import exprs
from conveyor.engine.concurrency import ConcurrencyRegistry, concurrency_spec
from conveyor.engine.contexts import RunIdentity, github_context
from conveyor.engine.emitter import Emitter, StepLog
from conveyor.engine.events import RunFinished, RunStarted
from conveyor.engine.inputs import build_inputs, trigger_config
from conveyor.engine.ports import NewRun
from conveyor.engine.reusable import run_called_workflow
from conveyor.engine.runstate import Control, RunOptions, Services, WorkflowRun
from conveyor.engine.status import Conclusion
from conveyor.engine.workflowrun import WorkflowJobs, select_jobs

_local_ids = itertools.count(1)


@dataclass(frozen=True)
class WorkflowSpec:
    path: Path
    data: dict[str, Any]
    name: str


@dataclass(frozen=True)
class RunReport:
    run_id: int
    workflow: str
    conclusion: Conclusion


def default_payload(options: RunOptions, inputs: dict[str, Any]) -> dict[str, Any]:
    repo = options.repo
    payload: dict[str, Any] = {
        "ref": repo.ref,
        "repository": {
            "full_name": repo.repository,
            "name": repo.repository.split("/")[-1],
            "default_branch": repo.default_branch,
        },
        "sender": {"login": repo.actor},
    }
    if options.event == "push":
        payload.update(after=repo.sha, head_commit={"id": repo.sha})
    if options.event == "workflow_dispatch":
        payload["inputs"] = inputs
    return payload


def run_workflows(
    workflows: Sequence[WorkflowSpec],
    options: RunOptions,
    services: Services,
    interrupt: threading.Event | None = None,
) -> list[RunReport]:
    """Run the workflows; cancelled when ``interrupt`` is set (e.g. by a signal handler)."""
    root = Control()
    registry = ConcurrencyRegistry(options.state_dir)
    emitter = Emitter(
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

    def one(spec: WorkflowSpec) -> None:
        report = _run_one(
            spec,
            options=options,
            services=services,
            emitter=emitter,
            registry=registry,
            control=root.child(),
        )
        with lock:
            reports.append(report)

    try:
        if len(workflows) == 1:
            one(workflows[0])
        else:
            threads = [threading.Thread(target=one, args=(w,)) for w in workflows]
            for thread in threads:
                thread.start()
            for thread in threads:
                while thread.is_alive():  # short joins so signal handlers run promptly
                    thread.join(0.1)
    finally:
        stop_watch.set()
        registry.close()
    return reports


def _run_one(
    spec: WorkflowSpec,
    *,
    options: RunOptions,
    services: Services,
    emitter: Emitter,
    registry: ConcurrencyRegistry,
    control: Control,
) -> RunReport:
    repo = options.repo
    try:
        rel = str(spec.path.resolve().relative_to(repo.root.resolve()))
    except ValueError:
        rel = str(spec.path)
    if services.store is not None:
        new = NewRun(
            rel, spec.name, options.event, repo.ref, repo.sha, repo.repository, os.getpid(),
            repo.history_key, repo.repository_url,
        )  # fmt: skip
        run_id, run_number = services.store.begin_run(new)
    else:
        run_id = run_number = next(_local_ids)
    event_cfg = trigger_config(spec.data, options.event)
    base_ctx = {"vars": dict(options.vars), "github": {}, "inputs": {}}
    inputs = build_inputs(event_cfg.get("inputs"), options.inputs, base_ctx)
    payload = dict(options.payload) or default_payload(options, inputs)
    identity = RunIdentity(run_id, run_number, options.event, payload, spec.name, rel)
    github = github_context(repo, identity, options.secrets.get("GITHUB_TOKEN", ""))
    wf = WorkflowRun(
        services,
        options,
        emitter,
        registry,
        control,
        run_id,
        spec.path,
        spec.data,
        github,
        options.secrets,
        inputs,
        {},
    )
    wf.work_root().mkdir(parents=True, exist_ok=True)
    event_path = wf.work_root() / "event.json"
    event_path.write_text(json.dumps(payload), encoding="utf-8")
    github["event_path"] = str(event_path)
    emitter.emit(
        RunStarted(
            run_id,
            run_number,
            rel,
            spec.name,
            options.event,
            repo.ref,
            repo.sha,
            time.time(),
            os.getpid(),
        )
    )
    log = StepLog(emitter, run_id, "(workflow)", None)
    ctx = {
        "github": github,
        "inputs": inputs,
        "vars": dict(options.vars),
        "secrets": dict(options.secrets),
        "env": {},
    }
    token = None
    conclusion = Conclusion.FAILURE
    try:
        wf.env = {**exprs.env_map(spec.data.get("env"), ctx), **options.env}
        group = concurrency_spec(spec.data.get("concurrency"), ctx)
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
        jobs = select_jobs(spec.data.get("jobs") or {}, options.job_filter)
        conclusion = WorkflowJobs(wf, jobs, run_call=run_called_workflow).run()
    except Exception as exc:
        log.error(f"{spec.name}: {exc}")
        raise
    finally:
        if token is not None:
            registry.release(token)
        if control.cancelled and conclusion is not Conclusion.FAILURE:
            conclusion = Conclusion.CANCELLED
        emitter.emit(RunFinished(run_id, conclusion, time.time()))
    return RunReport(run_id, spec.name, conclusion)
