"""Dispatch one job instance: evaluate what the orchestrator decides (name, runs-on,
environment, concurrency, timeout, continue-on-error), place it, build its
:class:`JobRequest` and hand it to the executor; record its start and finish."""

from __future__ import annotations

import time
from typing import Any

from conveyor.engine import exprs
from conveyor.engine.bus import StepLog
from conveyor.engine.compile import DOCKER_MESSAGE
from conveyor.engine.concurrency import concurrency_spec
from conveyor.engine.events import JobStarted, JobWaiting
from conveyor.engine.platforms import place
from conveyor.engine.ports import GateDecision, GateQuery
from conveyor.engine.status import Conclusion
from conveyor.engine.wire import (
    DEFAULT_TIMEOUT_MINUTES,
    JobOutcome,
    JobRequest,
    SecretBinding,
    SecretRef,
    outcome_of,
)
from conveyor.engine.workflowrun import JobCall, finish_job
from conveyor.errors import ConveyorError
from conveyor.planner.plan import JobPlan
from conveyor.planner.runson import RunsOn, resolve_runs_on


def runs_on(job: JobPlan, ctx: exprs.Contexts) -> RunsOn:
    """The job's runner labels and group, with every context known now."""
    return resolve_runs_on(job.runs_on_template, ctx)


def job_name(job: JobPlan, key: str, ctx: exprs.Contexts) -> str:
    if job.name_template is None or job.name_template == "":
        return key
    return exprs.text(job.name_template, ctx)


def environment_name(job: JobPlan, ctx: exprs.Contexts) -> str | None:
    if job.environment is None:
        return None
    return exprs.text(job.environment.name, ctx) or None


def with_continue_on_error(outcome: JobOutcome, continue_on_error: bool) -> JobOutcome:
    """A failed job with ``continue-on-error`` does not fail the run (result: success)."""
    if not continue_on_error or outcome.result != "failure":
        return outcome
    note = (
        outcome.note + "; " if outcome.note else ""
    ) + "continue-on-error: the run does not fail"
    return JobOutcome(
        outcome.conclusion,
        "success",
        outcome.outputs,
        False,
        note,
        outcome.environment_url,
    )


def run_job(call: JobCall) -> JobOutcome:
    wf, job, key, ctx = call.wf, call.job, call.key, call.ctx
    started = time.time()
    matrix = ctx.get("matrix") or {}
    log = StepLog(wf.publish, wf.run_id, key, None)
    problem = ""
    where: Any = job.where("runs-on")
    try:
        placement_on = runs_on(job, ctx)
        where = job.where("name")
        name = job_name(job, key, ctx)
        where = job.where("environment")
        environment = environment_name(job, ctx)
    except ConveyorError as exc:
        placement_on, name, environment = RunsOn(()), key, None
        problem = f"{where}: {exc}"
    wf.publish(
        JobStarted(
            wf.run_id,
            key,
            job.id,
            name,
            dict(matrix),
            placement_on.labels,
            started,
            environment,
            needs=tuple(job.needs),
        )
    )
    if problem:
        log.error(problem)
        outcome = outcome_of(Conclusion.FAILURE)
        outcome.note = problem
    else:
        try:
            outcome = _body(call, placement_on, environment, log)
        except ConveyorError as exc:
            log.error(f"{key}: {exc}")
            outcome = outcome_of(Conclusion.FAILURE)
            outcome.note = str(exc)
    return finish_job(wf, key, started, outcome)


def _refused(conclusion: Conclusion, note: str) -> JobOutcome:
    outcome = outcome_of(conclusion)
    outcome.note = note
    return outcome


def _admit(call: JobCall, environment: str | None, log: StepLog) -> GateDecision | JobOutcome:
    """Ask the environment's gate until it lets the job start (or refuses it); with
    ``--no-wait`` a job that would wait is parked instead."""
    wf, control = call.wf, call.control
    gate = wf.services.gate
    if gate is None or not environment:
        return GateDecision("proceed")
    github = wf.github
    query = GateQuery(
        wf.run_id,
        call.key,
        environment,
        str(github.get("ref", "")),
        str(github.get("sha", "")),
        str(github.get("actor", "")),
    )
    announced = ""
    wake = control.event()
    while True:
        decision = gate.admit(query)
        if decision.verdict == "proceed":
            return decision
        if decision.verdict == "refuse":
            log.error(decision.message)
            return _refused(Conclusion.FAILURE, decision.message)
        if decision.message != announced:
            announced = decision.message
            wf.publish(JobWaiting(wf.run_id, call.key, environment, announced, time.time()))
            log.line(announced)
        if not wf.options.wait:
            return _refused(Conclusion.WAITING, announced)
        if wake.wait(decision.retry_after):
            return _refused(Conclusion.CANCELLED, control.reason)


def _body(call: JobCall, placement_on: RunsOn, environment: str | None, log: StepLog) -> JobOutcome:
    wf, job, key, ctx, control = call.wf, call.job, call.key, call.ctx, call.control
    if control.cancelled:
        return _refused(Conclusion.CANCELLED, control.reason)
    placement = place(
        placement_on.labels,
        wf.options.platforms,
        group=placement_on.group,
        routed=wf.services.labels_routed,
    )
    if not placement.local:
        log.line(placement.note)
        return _refused(Conclusion.SKIPPED, placement.note)
    if job.container or job.services:
        what = "container" if job.container else "services"
        message = f"job '{key}' uses '{what}:' and {DOCKER_MESSAGE} ({job.where(what)})"
        log.error(message)
        return _refused(Conclusion.FAILURE, message)
    admitted = _admit(call, environment, log)
    if isinstance(admitted, JobOutcome):
        return admitted
    try:
        minutes = exprs.minutes(job.timeout_minutes, ctx, DEFAULT_TIMEOUT_MINUTES)
    except ConveyorError as exc:
        message = f"{job.where('timeout-minutes')}: {exc}"
        log.error(message)
        return _refused(Conclusion.FAILURE, message)
    try:
        continue_on_error = exprs.truthy(job.continue_on_error or False, ctx)
    except ConveyorError as exc:
        message = f"{job.where('continue-on-error')}: {exc}"
        log.error(message)
        return _refused(Conclusion.FAILURE, message)
    group = concurrency_spec(job.concurrency, ctx)
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
            return _refused(Conclusion.CANCELLED, f"superseded in group '{group[0]}'")
    try:
        request = _request(call, minutes, environment, admitted)
        outcome = wf.services.executor.execute(
            request, wf.publish, control.event(), wf.control.event()
        )
    finally:
        if token is not None:
            wf.registry.release(token)
    if outcome.conclusion is Conclusion.CANCELLED and not outcome.note:
        outcome.note = control.reason
    return with_continue_on_error(outcome, continue_on_error)


def _request(
    call: JobCall, minutes: float, environment: str | None, admitted: GateDecision
) -> JobRequest:
    """The job as the executor gets it; a job of an environment sees the environment's
    variables and secrets over the repository's."""
    wf = call.wf
    options = wf.options
    contexts = call.ctx
    if admitted.vars:
        contexts = {**contexts, "vars": {**contexts.get("vars", {}), **admitted.vars}}
    secrets: dict[str, SecretBinding] = dict(wf.secrets)
    secrets.update({name: SecretRef(key) for name, key in admitted.secrets.items()})
    return JobRequest(
        run=wf.run,
        job_key=call.key,
        job=call.job,
        contexts=contexts,
        secrets=secrets,
        repo=options.repo,
        state_dir=str(options.state_dir),
        workflow_env=wf.plan.env,
        workflow_defaults=dict(wf.plan.defaults_run),
        env_overrides=dict(options.env) if wf.depth == 0 else {},
        timeout_minutes=minutes,
        checkout_mode=options.checkout_mode,
        debug=options.debug,
        environment=environment or "",
    )
