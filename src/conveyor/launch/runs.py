"""Run planned workflows through the engine, wired to an executor, actions, store, console.

The one place that wires the engine: ``conveyor run`` and ``conveyor trigger`` call it
under their signal handling (:func:`conveyor.cli.run_cmd._execute`); the scheduler
fires from worker threads and cancels runs with its own ``cancel`` event.
"""

from __future__ import annotations

import os
import shlex
import sys
import tempfile
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from conveyor.actions import DefaultActionProvider
from conveyor.actions.delivery_wiring import rollback_sink
from conveyor.console.factory import make_console
from conveyor.delivery.environments import environment_secrets
from conveyor.delivery.gate import EnvironmentRules
from conveyor.engine.durable import decode_record
from conveyor.engine.lease import LEASE_SECONDS, new_owner
from conveyor.engine.local_executor import LocalJobExecutor
from conveyor.engine.masking import Masker, env_masker
from conveyor.engine.ports import EventSink, JobExecutor, RunStore
from conveyor.engine.run import RunReport, resume_workflow, run_workflows
from conveyor.engine.runstate import RunOptions, Services
from conveyor.engine.status import Conclusion
from conveyor.launch.names import executor_name
from conveyor.planner.plan import WorkflowPlan
from conveyor.runners import LocalStepRunner
from conveyor.store.recorder import SqlRunStore
from conveyor.tiers.configfile import load_config
from conveyor.tiers.stepreports import StepReportIngester


@dataclass(frozen=True)
class LaunchHooks:
    """What a long-lived caller (the server's run queue) adds to the wiring: more event
    sinks, a wrapper around the job executor (a shared concurrency limit, metrics) and
    one around the run store (to stop recording a run handed back at shutdown)."""

    sinks: Sequence[EventSink] = ()
    wrap_executor: Callable[[JobExecutor], JobExecutor] | None = None
    wrap_store: Callable[[SqlRunStore], RunStore] | None = None
    console_stream: TextIO | None = None  # None: standard output

    def executor(self, jobs: JobExecutor) -> JobExecutor:
        return jobs if self.wrap_executor is None else self.wrap_executor(jobs)

    def store(self, store: SqlRunStore) -> RunStore:
        return store if self.wrap_store is None else self.wrap_store(store)


_NO_HOOKS = LaunchHooks()


def make_executor(
    name: str, secrets: Mapping[str, str], masker: Masker, actions: DefaultActionProvider
) -> JobExecutor:
    if name == "process":
        from conveyor.executors.process import ProcessJobExecutor

        return ProcessJobExecutor(secrets)
    if name == "celery":
        from conveyor.executors.celery_config import require_celery

        require_celery("--executor celery")
        from conveyor.executors.celery_executor import CeleryJobExecutor

        return CeleryJobExecutor(secrets)
    return LocalJobExecutor(
        LocalStepRunner(), actions, masker, secrets, reports=StepReportIngester()
    )


def run_plans(
    plans: Sequence[WorkflowPlan],
    options: RunOptions,
    cancel: threading.Event,
    *,
    plain: bool | None = True,
    executor: str | None = None,
    hooks: LaunchHooks = _NO_HOOKS,
) -> list[RunReport]:
    """Run ``plans`` (recorded in the history store); cancelled when ``cancel`` is set.

    ``plain``: plain console lines (the daemon), or None to choose by terminal.
    ``executor``: ``local``, ``process`` or ``celery`` (default: ``$CONVEYOR_EXECUTOR``,
    else local).
    """
    name = executor_name(executor)
    expose_conveyor(options.state_dir)
    masker = env_masker(os.environ)  # inside a step: what that step masks
    actions = DefaultActionProvider(options.state_dir)
    store = SqlRunStore(options.state_dir, masker=masker)
    gate, environment_secrets = _environments(options.repo.root, store, masker)
    console = make_console(hooks.console_stream, plain=plain)
    jobs = make_executor(name, {**options.secrets, **environment_secrets}, masker, actions)
    sinks: list[EventSink] = [console, rollback_sink(options.repo.root, options.state_dir)]
    services = Services(
        executor=hooks.executor(jobs),
        actions=actions,
        masker=masker,
        sinks=[*sinks, *hooks.sinks],
        store=hooks.store(store),
        gate=gate,
        labels_routed=name == "celery",
    )
    try:
        return run_workflows(plans, options, services, cancel)
    finally:
        jobs.close()
        console.close()
        store.close()


def _environments(
    root: Path, store: SqlRunStore, masker: Masker
) -> tuple[EnvironmentRules, dict[str, str]]:
    """The gate of conveyor.toml's environments, and their secrets (masked from now on)."""
    config = load_config(start=root).config
    values, names = environment_secrets(root, config.environments)
    for value in values.values():
        masker.add(value)
    gate = EnvironmentRules(config.environments, config.teams, lambda: store.writer, root, names)
    return gate, values


def resume_run(
    run_id: int,
    secrets: Mapping[str, str],
    state_dir: Path,
    cancel: threading.Event,
    *,
    plain: bool | None = None,
    executor: str | None = None,
    wait: bool = True,
    hooks: LaunchHooks = _NO_HOOKS,
    failed_again: bool = False,
) -> RunReport:
    """Continue run ``run_id`` of a process that died (or that was parked waiting for a
    decision): finished jobs are kept, jobs that were running or waiting run again, the
    rest run as they would have. ``failed_again``: the next attempt of a finished run, its
    failed jobs and the jobs after them run again (:meth:`SqlRunStore.reopen_run`)."""
    name = executor_name(executor)
    masker = env_masker(os.environ)  # inside a step: what that step masks
    store = SqlRunStore(state_dir, masker=masker)
    try:
        resumed = store.reopen_run(run_id, new_owner(), LEASE_SECONDS, failed_again=failed_again)
        record = decode_record(resumed.record)
        expose_conveyor(record.options.state_dir)
        actions = DefaultActionProvider(record.options.state_dir)
        gate, environment_secrets = _environments(record.options.repo.root, store, masker)
        console = make_console(hooks.console_stream, plain=plain)
        jobs = make_executor(name, {**secrets, **environment_secrets}, masker, actions)
        root, home = record.options.repo.root, record.options.state_dir
        sinks: list[EventSink] = [console, rollback_sink(root, home)]
        services = Services(
            executor=hooks.executor(jobs),
            actions=actions,
            masker=masker,
            sinks=[*sinks, *hooks.sinks],
            store=hooks.store(store),
            gate=gate,
            labels_routed=name == "celery",
        )
        try:
            return resume_workflow(resumed, secrets, services, cancel, wait=wait)
        finally:
            jobs.close()
            console.close()
    finally:
        store.close()


def expose_conveyor(state_dir: Path) -> Path:
    """Put a ``conveyor`` command for this very installation on the steps' PATH.

    Steps such as ``run: conveyor report "$GITHUB_RUN_ID"`` then work even when
    conveyor's virtualenv is not on the user's PATH, and they see this run's state
    directory (``CONVEYOR_HOME``), so the run they report on is found. The directory
    holds nothing else, so it shadows no other tool.
    """
    bin_dir = state_dir / "bin"
    shim = bin_dir / "conveyor"
    home = shlex.quote(str(state_dir))
    text = (
        f"#!/bin/sh\nCONVEYOR_HOME={home}\nexport CONVEYOR_HOME\n"
        f'exec {shlex.quote(sys.executable)} -m conveyor "$@"\n'
    )
    if not shim.is_file() or shim.read_text(encoding="utf-8") != text:
        bin_dir.mkdir(parents=True, exist_ok=True)
        # A temp file of its own per writer: scheduled runs start from several threads.
        fd, tmp_name = tempfile.mkstemp(dir=bin_dir, prefix=".conveyor.")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        tmp = Path(tmp_name)
        tmp.chmod(0o755)
        tmp.replace(shim)
    path = os.environ.get("PATH", os.defpath).split(os.pathsep)
    if str(bin_dir) not in path:
        os.environ["PATH"] = os.pathsep.join([str(bin_dir), *path])
    return shim


def status_of(reports: Sequence[RunReport], cancel: threading.Event) -> str:
    """``success``, ``failure`` or ``cancelled`` for a firing's runs."""
    if cancel.is_set() or any(r.conclusion is Conclusion.CANCELLED for r in reports):
        return "cancelled"
    if any(r.conclusion is Conclusion.FAILURE for r in reports):
        return "failure"
    return "success"
