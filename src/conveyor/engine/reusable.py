"""Jobs that call a reusable workflow (``jobs.<id>.uses``): the callee's jobs run as a nested
DAG keyed ``caller/callee``; ``with``/``secrets`` (or ``inherit``) flow in and
``on.workflow_call.outputs`` flow back out."""

from __future__ import annotations

import dataclasses
import time
from typing import Any

from conveyor.engine import exprs
from conveyor.engine.emitter import StepLog
from conveyor.engine.events import JobFinished, JobStarted
from conveyor.engine.inputs import build_inputs, trigger_config
from conveyor.engine.jobrun import outcome_of
from conveyor.engine.runstate import JobCall, JobOutcome
from conveyor.engine.status import Conclusion
from conveyor.errors import ActionError, ConveyorError
from conveyor.workflow.yamlload import load_file


def run_called_workflow(call: JobCall) -> JobOutcome:
    wf, job_id, spec, key, ctx = call.wf, call.job_id, call.spec, call.key, call.ctx
    started = time.time()
    wf.emitter.emit(
        JobStarted(
            wf.run_id,
            key,
            job_id,
            str(spec.get("name") or key),
            ctx.get("matrix") or {},
            started_at=started,
        )
    )
    log = StepLog(wf.emitter, wf.run_id, key, None)
    note = ""
    try:
        outcome = _call(call, log)
    except ConveyorError as exc:
        note = f"{key}: {exc}"
        log.error(note)
        outcome = outcome_of(Conclusion.FAILURE)
    wf.emitter.emit(
        JobFinished(wf.run_id, key, outcome.conclusion, started, time.time(), outcome.outputs, note)
    )
    return outcome


def _call(call: JobCall, log: StepLog) -> JobOutcome:
    wf, spec, key, ctx = call.wf, call.spec, call.key, call.ctx
    from conveyor.engine.workflowrun import WorkflowJobs

    uses = str(spec["uses"]).strip()
    root = wf.options.repo.root
    action = wf.services.actions.resolve(uses, workspace=root, repository_root=root)
    if action.kind != "workflow" or action.workflow_file is None:
        raise ActionError(f"'{uses}' is not a reusable workflow")
    doc = load_file(str(action.workflow_file))
    if doc.diagnostics or not isinstance(doc.data, dict):
        raise ActionError("; ".join(d.format() for d in doc.diagnostics) or f"{uses}: invalid")
    data: dict[str, Any] = doc.data
    config = trigger_config(data, "workflow_call")
    given = exprs.render(spec.get("with") or {}, ctx)
    inputs = build_inputs(config.get("inputs"), given if isinstance(given, dict) else {}, ctx)
    passed = spec.get("secrets")
    if passed == "inherit":
        secrets = dict(wf.secrets)
    else:
        rendered = exprs.render(passed or {}, ctx)
        secrets = {str(k): exprs.to_str(v) for k, v in (rendered or {}).items()}
        secrets.setdefault("GITHUB_TOKEN", wf.secrets.get("GITHUB_TOKEN", ""))
    callee_ctx = {
        "github": wf.github,
        "inputs": inputs,
        "vars": ctx.get("vars", {}),
        "secrets": secrets,
        "env": {},
    }
    child = dataclasses.replace(
        wf,
        control=call.control,
        path=action.workflow_file,
        data=data,
        secrets=secrets,
        inputs=inputs,
        env=exprs.env_map(data.get("env"), callee_ctx),
        key_prefix=f"{key}/",
        outcomes={},
    )
    jobs = list((data.get("jobs") or {}).keys())
    conclusion = WorkflowJobs(child, jobs, run_call=run_called_workflow).run()
    jobs_ctx = {
        j: {"result": o.result, "outputs": dict(o.outputs)} for j, o in child.outcomes.items()
    }
    outputs: dict[str, str] = {}
    declared = config.get("outputs") or {}
    out_ctx = {**callee_ctx, "jobs": jobs_ctx}
    for name, out in declared.items() if isinstance(declared, dict) else []:
        value = out.get("value") if isinstance(out, dict) else out
        outputs[str(name)] = exprs.text(value, out_ctx)
    failing = any(o.counts_as_failure for o in child.outcomes.values())
    if failing:
        conclusion = Conclusion.FAILURE
    outcome = outcome_of(conclusion)
    outcome.outputs = outputs
    return outcome
