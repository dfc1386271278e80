"""Execute one job instance from a :class:`JobRequest`: what every executor runs.

Resolves the job's secrets from the executing process's own source, builds the contexts
the steps see (``github.job``/``workspace``/``token``, ``secrets``, ``runner``, ``job``,
``env``), then runs ``pre`` steps, steps and ``post`` steps under the job's timeout, and
evaluates the job's outputs and ``environment.url``. Events go to ``services.publish``.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
import time
from collections.abc import Mapping
from functools import partial
from pathlib import Path
from typing import Any

from conveyor.engine import exprs
from conveyor.engine.contexts import runner_context
from conveyor.engine.jobstate import JobServices, JobState, PostStep, StepScope
from conveyor.engine.ports import SecretSource
from conveyor.engine.prestep import run_pre_steps
from conveyor.engine.status import Conclusion
from conveyor.engine.steprun import StepDone, run_job_step, run_steps
from conveyor.engine.wire import (
    JobOutcome,
    JobRequest,
    RunRef,
    SecretBinding,
    SecretExpr,
    outcome_of,
)
from conveyor.errors import ConveyorError

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
KEEP_WORKSPACE_ENV = "CONVEYOR_KEEP_WORKSPACE"


def safe_name(key: str) -> str:
    return _UNSAFE.sub("_", key).strip("_") or "job"


def work_root(state_dir: Path, run: RunRef) -> Path:
    """The run's folder of job workspaces (``<state>/work/<run key>``, see
    :mod:`conveyor.engine.runkeys`)."""
    return state_dir / "work" / run.key


def resolve_secrets(bindings: Mapping[str, SecretBinding], source: SecretSource) -> dict[str, str]:
    """The ``secrets`` context: every binding resolved from ``source``."""
    values: dict[str, str] = {}
    for name, binding in bindings.items():
        if isinstance(binding, SecretExpr):
            caller = resolve_secrets(binding.secrets, source)
            values[name] = exprs.text(binding.template, {**binding.contexts, "secrets": caller})
        else:
            values[name] = source.get(binding.name) or ""
    return values


def execute_job(
    request: JobRequest,
    services: JobServices,
    secrets: SecretSource,
    cancel: threading.Event,
    stop: threading.Event,
) -> JobOutcome:
    """Run the job; ``cancel`` stops its steps (post steps still run), ``stop`` also skips
    the post steps (the run is being torn down). The job's workspace and temp folder are
    removed when it ends, as on GitHub's runners: they hold whatever the steps wrote,
    secrets included (``CONVEYOR_KEEP_WORKSPACE=1`` keeps them, to look into a job)."""
    key = request.job_key
    root = work_root(Path(request.state_dir), request.run)
    workspace = root / safe_name(key)
    temp = root / "_temp" / safe_name(key)
    workspace.mkdir(parents=True, exist_ok=True)
    temp.mkdir(parents=True, exist_ok=True)
    try:
        return _execute(request, services, secrets, (workspace, temp), (cancel, stop))
    finally:
        if os.environ.get(KEEP_WORKSPACE_ENV, "").strip().lower() not in ("1", "true", "yes"):
            for folder in (workspace, temp):
                shutil.rmtree(folder, ignore_errors=True)


def _execute(
    request: JobRequest,
    services: JobServices,
    secrets: SecretSource,
    folders: tuple[Path, Path],
    events: tuple[threading.Event, threading.Event],
) -> JobOutcome:
    plan = request.job
    workspace, temp = folders
    cancel, stop = events
    resolved = resolve_secrets(request.secrets, secrets)
    for value in resolved.values():
        services.masker.add(value)
    contexts: dict[str, Any] = dict(request.contexts)
    contexts["github"] = {
        **contexts["github"],
        "job": plan.id,
        "workspace": str(workspace),
        "token": resolved.get("GITHUB_TOKEN", ""),
    }
    contexts["secrets"] = resolved
    contexts["runner"] = runner_context(Path(request.state_dir), temp, request.debug)
    contexts["job"] = {"status": "success", "container": {}, "services": {}}
    job = JobState(
        request=request,
        services=services,
        workspace=workspace,
        temp=temp,
        cancel=cancel,
        stop=stop,
        contexts=contexts,
        job_env={},
        defaults={**request.workflow_defaults, **plan.defaults_run},
        deadline=time.time() + request.timeout_minutes * 60,
    )
    try:
        workflow_env = {
            **exprs.env_map(request.workflow_env, {**contexts, "env": {}}),
            **request.env_overrides,
        }
        job.job_env = {
            **workflow_env,
            **exprs.env_map(plan.env, {**contexts, "env": workflow_env}),
        }
    except ConveyorError as exc:
        job.log(None).error(f"{plan.where('env')}: {exc}")
        outcome = outcome_of(Conclusion.FAILURE)
        outcome.note = str(exc)
        return outcome
    return _run(job)


def _run(job: JobState) -> JobOutcome:
    minutes = job.request.timeout_minutes
    plan = job.request.job

    def on_timeout() -> None:
        job.timed_out = True
        job.cancel.set()

    timer = threading.Timer(minutes * 60, on_timeout)
    timer.daemon = True
    timer.start()
    scope = StepScope(job=job, env=job.job_env, defaults=job.defaults)
    try:
        run_pre_steps(scope, plan.steps)
        run_steps(scope, plan.steps)
    finally:
        timer.cancel()
    _run_posts(scope)
    note = ""
    if job.timed_out:
        conclusion, note = Conclusion.TIMED_OUT, f"the job timed out after {minutes:g} minutes"
    elif scope.failed:
        conclusion = Conclusion.FAILURE
    elif job.cancel.is_set():
        conclusion = Conclusion.CANCELLED
    else:
        conclusion = Conclusion.SUCCESS
    job.contexts["job"]["status"] = (
        "failure" if conclusion is Conclusion.TIMED_OUT else str(conclusion)
    )
    outcome = outcome_of(conclusion)
    outcome.note = note
    outcome.outputs = _outputs(scope)
    outcome.environment_url = _environment_url(scope)
    return outcome


def _run_posts(scope: StepScope) -> None:
    job = scope.job
    if not job.posts:
        return
    if job.cancel.is_set():  # fail-fast or timeout: cleanup still runs unless the run stops
        job.cancel = job.stop
    for post in reversed(job.posts):
        run_job_step(scope, post.name, partial(_run_post, scope, post))


def _run_post(scope: StepScope, post: PostStep, index: int) -> StepDone:
    job = scope.job
    ctx = scope.contexts(scope.env_context())
    cancelled = job.stop.is_set()
    try:
        if not exprs.condition(post.condition, ctx, failed=scope.failed, cancelled=cancelled):
            return StepDone(Conclusion.SKIPPED)
        return StepDone(Conclusion.SUCCESS if post.run(index) else Conclusion.FAILURE)
    except ConveyorError as exc:
        job.log(index).error(str(exc))
        return StepDone(Conclusion.FAILURE)


def _outputs(scope: StepScope) -> dict[str, str]:
    declared = scope.job.request.job.outputs
    if not isinstance(declared, Mapping):
        return {}
    job = scope.job
    ctx = scope.contexts(scope.env_context())
    log = job.log(None)
    outputs: dict[str, str] = {}
    for name, value in declared.items():
        try:
            text = exprs.text(value, ctx)
        except ConveyorError as exc:
            log.error(f"output '{name}': {exc}")
            continue
        if job.masker.mask(text) != text:
            log.warning(f"Skip output '{name}' since it may contain secret.")
            continue
        outputs[str(name)] = text
    return outputs


def _environment_url(scope: StepScope) -> str:
    environment = scope.job.request.job.environment
    if environment is None or environment.url is None:
        return ""
    try:
        return exprs.text(environment.url, scope.contexts(scope.env_context()))
    except ConveyorError as exc:
        scope.job.log(None).warning(f"environment url: {exc}")
        return ""
