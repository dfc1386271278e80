"""Jobs that call a reusable workflow (``jobs.<id>.uses``): the callee's jobs run as a nested
DAG keyed ``caller/callee``; ``with`` and ``secrets`` (or ``inherit``) flow in and
``on.workflow_call.outputs`` flow back out.

The callee was compiled with the caller (loaded, validated, planned); its secrets are
bindings over the caller's, so no secret value is handled here.
"""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Mapping
from typing import Any

from conveyor.engine import exprs
from conveyor.engine.bus import StepLog
from conveyor.engine.events import JobStarted
from conveyor.engine.inputs import build_inputs
from conveyor.engine.status import Conclusion
from conveyor.engine.wire import JobOutcome, SecretBinding, SecretExpr, outcome_of
from conveyor.engine.workflowrun import JobCall, UnitRunner, WorkflowJobs, finish_job
from conveyor.errors import ActionError, ConveyorError

_ONE_SECRET = re.compile(r"^\s*\$\{\{\s*secrets\.([A-Za-z_][A-Za-z0-9_-]*)\s*\}\}\s*$")


def callee_secrets(
    passed: Any, caller: Mapping[str, SecretBinding], ctx: Mapping[str, Any]
) -> dict[str, SecretBinding]:
    """The callee's secrets as bindings: ``inherit`` passes the caller's on; a mapping
    binds each name to the caller's secret it names, or to an expression over them."""
    if passed == "inherit":
        return dict(caller)
    bindings: dict[str, SecretBinding] = {}
    lowered = {name.lower(): binding for name, binding in caller.items()}
    for name, value in (passed or {}).items() if isinstance(passed, Mapping) else []:
        text = exprs.to_str(value) if not isinstance(value, str) else value
        match = _ONE_SECRET.match(text)
        found = lowered.get(match.group(1).lower()) if match else None
        if found is not None:
            bindings[str(name)] = found
        else:
            plain = {k: v for k, v in ctx.items() if k != "secrets"}
            bindings[str(name)] = SecretExpr(text, plain, dict(caller))
    if "GITHUB_TOKEN" in caller:
        bindings.setdefault("GITHUB_TOKEN", caller["GITHUB_TOKEN"])
    return bindings


def make_run_called_workflow(run_job: UnitRunner) -> UnitRunner:
    """The runner of jobs that call a workflow, whose callee jobs run with ``run_job``."""

    def run_called_workflow(call: JobCall) -> JobOutcome:
        wf, job, key, ctx = call.wf, call.job, call.key, call.ctx
        started = time.time()
        name = job.name_template if isinstance(job.name_template, str) else key
        matrix = ctx.get("matrix") or {}
        needs = tuple(job.needs)
        wf.publish(JobStarted(wf.run_id, key, job.id, name, matrix, (), started, needs=needs))
        log = StepLog(wf.publish, wf.run_id, key, None)
        note = ""
        try:
            outcome = _call(call, run_job, run_called_workflow)
        except ConveyorError as exc:
            note = f"{key}: {exc}"
            log.error(note)
            outcome = outcome_of(Conclusion.FAILURE)
            outcome.note = note
        return finish_job(wf, key, started, outcome)

    return run_called_workflow


def _call(call: JobCall, run_job: UnitRunner, run_call: UnitRunner) -> JobOutcome:
    wf, job, key, ctx = call.wf, call.job, call.key, call.ctx
    assert job.call is not None
    callee = job.call.workflow
    if callee is None:
        raise ActionError(f"'{job.call.uses}' was not compiled before the run")
    given = exprs.render(job.call.with_ or {}, ctx)
    inputs = build_inputs(callee.inputs, given if isinstance(given, dict) else {}, ctx)
    child = dataclasses.replace(
        wf,
        control=call.control,
        plan=callee,
        secrets=callee_secrets(job.call.secrets, wf.secrets, ctx),
        inputs=inputs,
        key_prefix=f"{key}/",
        depth=wf.depth + 1,
        outcomes={},
    )
    jobs = [j.id for j in callee.jobs]
    conclusion = WorkflowJobs(child, jobs, run_job=run_job, run_call=run_call).run()
    jobs_ctx = {
        j: {"result": o.result, "outputs": dict(o.outputs)} for j, o in child.outcomes.items()
    }
    out_ctx = {"github": wf.github, "inputs": inputs, "vars": ctx.get("vars", {}), "jobs": jobs_ctx}
    outputs = {name: exprs.text(value, out_ctx) for name, value in callee.outputs.items()}
    if any(o.counts_as_failure for o in child.outcomes.values()):
        conclusion = Conclusion.FAILURE
    outcome = outcome_of(conclusion)
    outcome.outputs = outputs
    return outcome
