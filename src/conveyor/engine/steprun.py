"""Run a list of steps: ``if``, env layering, ``run`` scripts, and step bookkeeping.

``uses:`` steps are delegated to :mod:`conveyor.engine.actionrun`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from conveyor.engine import exprs
from conveyor.engine.bus import StepLog
from conveyor.engine.events import StepFinished, StepStarted
from conveyor.engine.jobstate import StepScope
from conveyor.engine.ports import FinishedStep, StepRequest, StepResult
from conveyor.engine.status import Conclusion
from conveyor.errors import ConveyorError
from conveyor.planner.plan import StepPlan


@dataclass
class StepCall:
    """One step being run: its scope, plan, evaluated contexts/env and where it logs."""

    scope: StepScope
    step: StepPlan
    ctx: dict[str, Any]
    env: dict[str, str]
    index: int
    log: StepLog
    timeout: float | None = None  # seconds (``timeout-minutes``); None: no limit of its own


@dataclass
class StepDone:
    outcome: Conclusion
    exit_code: int | None = None
    outputs: dict[str, str] = field(default_factory=dict)
    summary: str = ""
    note: str = ""


def fail(note: str) -> StepDone:
    return StepDone(Conclusion.FAILURE, note=note)


def step_name(step: StepPlan, ctx: exprs.Contexts) -> str:
    if step.name is not None and step.name != "":
        try:
            return exprs.text(step.name, ctx)
        except ConveyorError:
            return str(step.name)
    return step.display_name()


def run_steps(scope: StepScope, steps: Sequence[StepPlan]) -> None:
    for step in steps:
        run_step(scope, step)


def run_step(scope: StepScope, step: StepPlan) -> None:
    job = scope.job
    top = scope.step_index is None
    env = scope.env_context()
    ctx = scope.contexts(env)
    name = step_name(step, ctx)
    index = job.next_index() if top else scope.step_index
    assert index is not None
    log = job.log(index)
    step_id = step.id or f"__step{step.position}"
    started = time.time()
    if top:
        job.publish(StepStarted(job.run_id, job.key, index, name, started))
    else:
        log.line(f"▸ {name}")
    reports = job.services.reports if top else None
    before = None
    if reports is not None and writes_reports(step):
        before = reports.before_step(job.workspace, job.repo_root)
    done = _execute(StepCall(scope, step, ctx, env, index, log))
    if reports is not None:
        _offer_reports(scope, (index, job.masker.mask(name)), before, log)
    try:
        keep_going = done.outcome is Conclusion.FAILURE and exprs.truthy(
            step.continue_on_error or False, ctx
        )
    except ConveyorError as exc:
        log.error(f"{step.where('continue-on-error')}: continue-on-error: {exc}")
        keep_going = False
    conclusion = Conclusion.SUCCESS if keep_going else done.outcome
    if done.outcome is Conclusion.TIMED_OUT:
        conclusion = Conclusion.SUCCESS if keep_going else Conclusion.FAILURE
    scope.steps[step_id] = {
        "outcome": _context_value(done.outcome),
        "conclusion": _context_value(conclusion),
        "outputs": dict(done.outputs),
    }
    if conclusion is Conclusion.FAILURE:
        scope.failed = True
    if done.note:
        (log.warning if keep_going else log.error)(done.note)
    if top:
        job.publish(
            StepFinished(
                job.run_id,
                job.key,
                index,
                name,
                done.outcome,
                conclusion,
                done.exit_code,
                started,
                time.time(),
                done.outputs,
                done.summary,
                done.note,
            )
        )


def writes_reports(step: StepPlan) -> bool:
    """Whether the files a step writes are looked at for test reports: a ``run`` step or an
    action that runs something (not a built-in: checkout, cache and download-artifact
    bring files that are not this step's results; upload-artifact's files are offered as
    uploaded)."""
    return step.run is not None or step.action is None or step.action.kind != "builtin"


def _offer_reports(scope: StepScope, step: tuple[int, str], before: object, log: StepLog) -> None:
    """Hand what the step uploaded (and, with ``before``, wrote) to the job's
    :class:`~conveyor.engine.ports.StepReports`, before the step's end is published."""
    job = scope.job
    uploaded, job.uploaded = tuple(job.uploaded), []
    reports = job.services.reports
    if reports is None or (before is None and not uploaded):
        return
    github = job.contexts.get("github", {})
    plan = job.request.job
    name = plan.name if plan.name and "${{" not in plan.name else plan.id
    finished = FinishedStep(
        run_id=job.run_id,
        run_key=job.request.run.key,
        job_key=job.key,
        job_id=plan.id,
        job_name=name,
        index=step[0],
        name=step[1],
        workspace=job.workspace,
        repository_root=job.repo_root,
        state_dir=job.state_dir,
        commit=str(github.get("sha") or ""),
        branch=str(github.get("ref_name") or ""),
        uploaded=uploaded,
        before=before,
    )
    try:
        reports.step_finished(finished, log, job.masker)
    except Exception as exc:  # never fail a step over its reports
        log.warning(job.masker.mask(f"test reports of this step were not ingested: {exc}"))


def run_job_step(scope: StepScope, name: str, body: Callable[[int], StepDone]) -> None:
    """A step the job adds around its own (an action's ``pre`` or ``post``): the next index,
    start and finish events around ``body(index)``; a failure fails the job."""
    job = scope.job
    index = job.next_index()
    started = time.time()
    job.publish(StepStarted(job.run_id, job.key, index, name, started))
    done = body(index)
    if done.outcome is Conclusion.FAILURE:
        scope.failed = True
    job.publish(
        StepFinished(
            job.run_id,
            job.key,
            index,
            name,
            done.outcome,
            done.outcome,
            done.exit_code,
            started,
            time.time(),
            note=done.note,
        )
    )


def _context_value(conclusion: Conclusion) -> str:
    return "failure" if conclusion is Conclusion.TIMED_OUT else str(conclusion)


def _execute(call: StepCall) -> StepDone:
    scope, step, ctx, env = call.scope, call.step, call.ctx, call.env
    job = scope.job
    cancelled = job.cancel.is_set()
    key = "if"
    try:
        if not exprs.condition(step.if_, ctx, failed=scope.failed, cancelled=cancelled):
            return StepDone(Conclusion.SKIPPED)
        if cancelled:  # the condition asked to run anyway, but the job is being torn down
            return StepDone(Conclusion.CANCELLED)
        key = "env"
        call.env = {**env, **exprs.env_map(step.env, ctx)}
        call.ctx = {**ctx, "env": call.env}
        key = "timeout-minutes"
        call.timeout = step_timeout(step, call.ctx)
        key = ""
        if step.run is not None:
            return run_script(call)
        if step.uses is not None:
            from conveyor.engine.actionrun import run_uses  # actionrun builds on this module

            return run_uses(call)
        return fail(f"{step.source}: step has neither 'run' nor 'uses'")
    except ConveyorError as exc:
        where = step.where(key) if key else step.source
        return fail(f"{where}: {exc}")


def step_timeout(step: StepPlan, ctx: exprs.Contexts) -> float | None:
    """The step's ``timeout-minutes`` in seconds (None: no limit of its own); a value that
    is not a non-negative number raises (the caller names the key's position)."""
    minutes = exprs.minutes(step.timeout_minutes, ctx, 0.0)
    return minutes * 60 if minutes > 0 else None


def run_script(call: StepCall) -> StepDone:
    scope, step, ctx = call.scope, call.step, call.ctx
    job = scope.job
    shell = step.shell or scope.defaults.get("shell")
    workdir = step.working_directory or scope.defaults.get("working-directory")
    cwd = job.workspace / exprs.text(workdir, ctx) if workdir else job.workspace
    github = {**ctx["github"], "action": step.id or f"__run_{step.position}"}
    request = StepRequest(
        name=job.masker.mask(step_name(step, ctx)),
        working_directory=cwd,
        env=job.process_env(github, call.env),
        script=exprs.text(step.run, ctx),
        shell=exprs.text(shell, ctx) if shell else None,
        timeout_seconds=call.timeout,
        temp_dir=job.temp,
    )
    return finish_process(scope, run_request(scope, request, call.log), request)


def run_request(scope: StepScope, request: StepRequest, log: StepLog) -> StepResult:
    job = scope.job
    return job.services.runner.run(request, log, job.masker, job.cancel)


def finish_process(scope: StepScope, result: StepResult, request: StepRequest) -> StepDone:
    """Apply $GITHUB_ENV/$GITHUB_PATH and turn a process result into a step outcome."""
    job = scope.job
    job.added_env.update(result.env)
    job.added_path.extend(result.path)
    note = result.error
    if result.timed_out:
        minutes = (request.timeout_seconds or 0) / 60
        outcome, note = Conclusion.TIMED_OUT, f"the step timed out after {minutes:g} minutes"
    elif result.cancelled or (job.cancel.is_set() and not result.succeeded):
        outcome = Conclusion.CANCELLED
        if job.timed_out:
            outcome, note = Conclusion.TIMED_OUT, "the job timed out"
    elif result.succeeded:
        outcome = Conclusion.SUCCESS
    else:
        outcome = Conclusion.FAILURE
        note = note or f"process completed with exit code {result.exit_code}"
    return StepDone(outcome, result.exit_code, dict(result.outputs), result.summary, note)
