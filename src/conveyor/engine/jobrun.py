"""Run one job instance (one matrix combination): placement, Docker check, concurrency,
workspace, env/defaults, timeout, pre steps, steps, post steps and outputs."""

from __future__ import annotations

import re
import threading
import time
from functools import partial
from typing import Any

from conveyor.engine import exprs
from conveyor.engine.actionmeta import DOCKER_MESSAGE
from conveyor.engine.concurrency import concurrency_spec
from conveyor.engine.contexts import runner_context
from conveyor.engine.emitter import StepLog
from conveyor.engine.events import JobFinished, JobStarted
from conveyor.engine.jobstate import JobState, PostStep, StepScope
from conveyor.engine.platforms import place
from conveyor.engine.prestep import run_pre_steps
from conveyor.engine.runstate import JobCall, JobOutcome
from conveyor.engine.status import Conclusion
from conveyor.engine.steprun import StepDone, run_job_step, run_steps
from conveyor.errors import ConveyorError

DEFAULT_TIMEOUT_MINUTES = 360.0
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(key: str) -> str:
    return _UNSAFE.sub("_", key).strip("_") or "job"


def runs_on_labels(spec: dict[str, Any], ctx: exprs.Contexts) -> list[str]:
    value = exprs.render(spec.get("runs-on"), ctx)
    if isinstance(value, dict):
        value = value.get("labels") or value.get("group") or []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value] if isinstance(value, list) else []


def outcome_of(conclusion: Conclusion, *, continue_on_error: bool = False) -> JobOutcome:
    result = {Conclusion.TIMED_OUT: "failure"}.get(conclusion, str(conclusion))
    failing = result == "failure"
    if failing and continue_on_error:
        return JobOutcome(conclusion, "success", counts_as_failure=False)
    return JobOutcome(conclusion, result, counts_as_failure=failing)


def run_job(call: JobCall) -> JobOutcome:
    wf, job_id, spec, key, ctx = call.wf, call.job_id, call.spec, call.key, call.ctx
    started = time.time()
    matrix = ctx.get("matrix") or {}
    log = StepLog(wf.emitter, wf.run_id, key, None)
    try:
        labels = runs_on_labels(spec, ctx)
        name = exprs.text(spec.get("name"), ctx) if spec.get("name") else key
    except ConveyorError as exc:
        labels, name = [], key
        log.error(str(exc))
    wf.emitter.emit(JobStarted(wf.run_id, key, job_id, name, dict(matrix), tuple(labels), started))
    try:
        outcome, note = _body(call, labels, log)
    except ConveyorError as exc:
        log.error(f"{key}: {exc}")
        outcome, note = outcome_of(Conclusion.FAILURE), str(exc)
    wf.emitter.emit(
        JobFinished(wf.run_id, key, outcome.conclusion, started, time.time(), outcome.outputs, note)
    )
    return outcome


def _body(call: JobCall, labels: list[str], log: StepLog) -> tuple[JobOutcome, str]:
    wf, spec, key, ctx, control = call.wf, call.spec, call.key, call.ctx, call.control
    if control.cancelled:
        return outcome_of(Conclusion.CANCELLED), control.reason
    placement = place(labels, wf.options.platforms)
    if not placement.local:
        log.line(placement.note)
        return outcome_of(Conclusion.SKIPPED), placement.note
    if spec.get("container") or spec.get("services"):
        what = "container" if spec.get("container") else "services"
        message = f"job '{key}' uses '{what}:' and {DOCKER_MESSAGE}"
        log.error(message)
        return outcome_of(Conclusion.FAILURE), message
    group = concurrency_spec(spec.get("concurrency"), ctx)
    token = None
    if group is not None:
        token = wf.registry.acquire(
            group[0],
            cancel_in_progress=group[1],
            label=f"run {wf.run_id} job {key}",
            on_cancel=lambda: control.cancel(f"cancelled by a newer run in group '{group[0]}'"),
            abort=control.event(),
            waiting=lambda holder: log.line(f"waiting for concurrency group '{group[0]}'"),
        )
        if token is None:
            return outcome_of(Conclusion.CANCELLED), f"superseded in group '{group[0]}'"
    try:
        return _run_steps(call)
    finally:
        if token is not None:
            wf.registry.release(token)


def _run_steps(call: JobCall) -> tuple[JobOutcome, str]:
    wf, job_id, spec, key, ctx = call.wf, call.job_id, call.spec, call.key, call.ctx
    control = call.control
    root = wf.work_root()
    workspace = root / safe_name(key)
    temp = root / "_temp" / safe_name(key)
    workspace.mkdir(parents=True, exist_ok=True)
    temp.mkdir(parents=True, exist_ok=True)
    contexts = dict(ctx)
    contexts["github"] = {**ctx["github"], "job": job_id, "workspace": str(workspace)}
    contexts["runner"] = runner_context(wf.options.state_dir, temp, wf.options.debug)
    contexts["job"] = {"status": "success", "container": {}, "services": {}}
    job_env = {**wf.env, **exprs.env_map(spec.get("env"), {**contexts, "env": wf.env})}
    defaults_spec = (spec.get("defaults") or {}).get("run") or {}
    defaults = {**wf.workflow_defaults, **defaults_spec}
    minutes = exprs.number(spec.get("timeout-minutes"), contexts, DEFAULT_TIMEOUT_MINUTES)
    coe = exprs.truthy(spec.get("continue-on-error", False), contexts)
    job = JobState(
        wf=wf,
        key=key,
        job_id=job_id,
        workspace=workspace,
        temp=temp,
        control=control,
        cancel=control.event(),
        contexts=contexts,
        job_env=job_env,
        defaults=defaults,
        deadline=time.time() + minutes * 60,
    )

    def on_timeout() -> None:
        job.timed_out = True
        control.cancel(f"the job timed out after {minutes:g} minutes")

    timer = threading.Timer(minutes * 60, on_timeout)
    timer.daemon = True
    timer.start()
    scope = StepScope(job=job, env=job_env, defaults=defaults)
    steps = [s for s in spec.get("steps") or [] if isinstance(s, dict)]
    try:
        run_pre_steps(scope, steps)
        run_steps(scope, steps)
    finally:
        timer.cancel()
    _run_posts(scope)
    if job.timed_out:
        conclusion, note = Conclusion.TIMED_OUT, control.reason
    elif scope.failed:
        conclusion, note = Conclusion.FAILURE, ""
    elif control.cancelled:
        conclusion, note = Conclusion.CANCELLED, control.reason
    else:
        conclusion, note = Conclusion.SUCCESS, ""
    contexts["job"]["status"] = "failure" if conclusion is Conclusion.TIMED_OUT else conclusion
    outcome = outcome_of(conclusion, continue_on_error=coe)
    if coe and conclusion in (Conclusion.FAILURE, Conclusion.TIMED_OUT):
        note = (note + "; " if note else "") + "continue-on-error: the run does not fail"
    outcome.outputs = _outputs(scope, spec)
    return outcome, note


def _run_posts(scope: StepScope) -> None:
    job = scope.job
    if not job.posts:
        return
    if job.cancel.is_set():  # fail-fast or timeout: cleanup still runs unless the run stops
        job.cancel = job.wf.control.event()
    for post in reversed(job.posts):
        run_job_step(scope, post.name, partial(_run_post, scope, post))


def _run_post(scope: StepScope, post: PostStep, index: int) -> StepDone:
    job = scope.job
    ctx = scope.contexts(scope.env_context())
    cancelled = job.control.cancelled
    try:
        if not exprs.condition(post.condition, ctx, failed=scope.failed, cancelled=cancelled):
            return StepDone(Conclusion.SKIPPED)
        return StepDone(Conclusion.SUCCESS if post.run(index) else Conclusion.FAILURE)
    except ConveyorError as exc:
        job.log(index).error(str(exc))
        return StepDone(Conclusion.FAILURE)


def _outputs(scope: StepScope, spec: dict[str, Any]) -> dict[str, str]:
    declared = spec.get("outputs") or {}
    if not isinstance(declared, dict):
        return {}
    job = scope.job
    ctx = scope.contexts(scope.env_context())
    log = job.log(None)
    masker = job.wf.services.masker
    outputs: dict[str, str] = {}
    for name, value in declared.items():
        try:
            text = exprs.text(value, ctx)
        except ConveyorError as exc:
            log.error(f"output '{name}': {exc}")
            continue
        if masker.mask(text) != text:
            log.warning(f"Skip output '{name}' since it may contain secret.")
            continue
        outputs[str(name)] = text
    return outputs
