"""Plan loaded workflows for one event: firing, job order, matrices and runners.

Pure: takes loaded workflows (model + positioned document) and returns a
:class:`~conveyor.planner.plan.Plan`. Problems the planner finds (a bad matrix, a
``needs`` cycle, an expression that fails) become positioned diagnostics, raised
together as :class:`~conveyor.errors.WorkflowInvalid`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from conveyor.diagnostics import Diagnostic
from conveyor.errors import ExpressionError, WorkflowInvalid
from conveyor.planner import written
from conveyor.planner.github import github_context
from conveyor.planner.graph import GraphError, build_graph
from conveyor.planner.matrix import MatrixError, expand_matrix
from conveyor.planner.payloads import default_payload
from conveyor.planner.plan import CallPlan, JobPlan, Plan, WorkflowPlan
from conveyor.planner.runson import RunsOn, resolve_runs_on, resolve_runs_on_each
from conveyor.planner.statics import DynamicValue, resolve_static, resolve_text
from conveyor.planner.triggers import event_fires
from conveyor.workflow.inputs import (
    INPUT_EVENTS,
    InputError,
    declared_inputs,
    missing_inputs,
    resolve_inputs,
)
from conveyor.workflow.loader import LoadedWorkflow, repository_path
from conveyor.workflow.model import EventConfig, Job, Matrix, RunsOnGroup, Workflow
from conveyor.workflow.yamlload import Document, Path


class _Problems:
    """Collects positioned diagnostics for one workflow file."""

    def __init__(self, path: str, document: Document | None) -> None:
        self.path = path
        self.document = document
        self.found: list[Diagnostic] = []

    def add(self, where: Path, message: str, rule: str) -> None:
        if self.document is not None:
            self.found.append(self.document.diag(where, message, rule))
        else:
            self.found.append(Diagnostic(self.path, 1, 1, message, rule))


def event_configs(workflow: Workflow) -> dict[str, Mapping[str, Any] | None]:
    """``on:`` as plain data: event name -> its configuration with YAML keys (or None)."""
    result: dict[str, Mapping[str, Any] | None] = {}
    for name, config in workflow.events().items():
        if isinstance(config, EventConfig):
            result[name] = config.model_dump(by_alias=True, exclude_none=True)
        else:
            result[name] = None
    return result


def matrix_data(job: Job) -> Mapping[str, Any] | str | None:
    """``strategy.matrix`` as plain data (vectors in file order), or its expression text
    (a strategy that is one expression as a whole is resolved by :func:`plan_job`)."""
    if job.strategy is None or isinstance(job.strategy, str) or job.strategy.matrix is None:
        return None
    matrix = job.strategy.matrix
    if not isinstance(matrix, Matrix):
        return matrix
    data: dict[str, Any] = dict(matrix.vectors())
    if matrix.include is not None:
        data["include"] = matrix.include
    if matrix.exclude is not None:
        data["exclude"] = matrix.exclude
    return data


def _runs_on_data(job: Job) -> Any:
    value = job.runs_on
    if isinstance(value, RunsOnGroup):
        return value.model_dump(exclude_none=True)
    return value


def _union(results: list[RunsOn]) -> tuple[list[str], list[list[str]], str | None, bool]:
    """All labels (first seen first), labels per combination, the group, and dynamic-ness."""
    distinct = {id(r): r for r in results}
    lists = {key: list(r.labels) for key, r in distinct.items()}
    labels: dict[str, None] = {}
    group: str | None = None
    dynamic = False
    for r in distinct.values():
        labels.update(dict.fromkeys(r.labels))
        group = group or r.group
        dynamic = dynamic or r.dynamic
    per = [lists[id(r)] for r in results]
    return list(labels), per, group, dynamic


def _if_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _job_name(job_id: str, job: Job, contexts: Mapping[str, Any]) -> str:
    if job.name is None:
        return job_id
    try:
        value = resolve_text(job.name, contexts)
    except (DynamicValue, ExpressionError):
        return job.name
    return job.name if value is None else str(value)


def plan_job(
    job_id: str,
    job: Job,
    contexts: Mapping[str, Any],
    problems: _Problems,
    raw: Any = None,
) -> JobPlan:
    """Plan one job: expand its matrix, resolve ``runs-on`` for each combination, and keep
    what the file says (with positions) for the engine.

    ``raw`` is the job as written (from the document): its matrix is used as it is, so
    ``${{ insert }}`` keys (which the model leaves out) are evaluated too."""
    where: Path = ("jobs", job_id)
    raw_strategy = raw.get("strategy") if isinstance(raw, Mapping) else None
    if isinstance(raw_strategy, Mapping) and raw_strategy.get("matrix") is not None:
        raw_matrix = raw_strategy["matrix"]
    else:
        raw_matrix = matrix_data(job)
    combos: list[dict[str, Any]] | None = []
    dynamic = False
    reason = ""
    if isinstance(job.strategy, str):  # `strategy: ${{ ... }}` as a whole
        try:
            strategy = resolve_static(job.strategy, contexts)
            raw_matrix = strategy.get("matrix") if isinstance(strategy, Mapping) else None
        except DynamicValue as exc:
            combos, dynamic, reason = None, True, exc.reason
        except ExpressionError as exc:
            problems.add((*where, "strategy"), str(exc), "expression")
    if raw_matrix is not None:
        try:
            result = expand_matrix(raw_matrix, contexts)
        except MatrixError as exc:
            problems.add((*where, "strategy", "matrix", *exc.path), exc.message, "matrix")
            result = None
        except ExpressionError as exc:
            problems.add((*where, "strategy", "matrix"), str(exc), "expression")
            result = None
        if result is not None:
            combos, dynamic, reason = result.combinations, result.dynamic, result.reason
    runs_on_raw = _runs_on_data(job)
    per: list[list[str]] = []
    try:
        if combos:
            labels, per, group, dyn_runs_on = _union(
                resolve_runs_on_each(runs_on_raw, contexts, combos)
            )
        else:
            # no matrix: ``matrix`` is an empty object; dynamic matrix: not known yet
            extra: dict[str, Any] = {} if dynamic else {"matrix": {}}
            one = resolve_runs_on(runs_on_raw, {**contexts, **extra})
            labels, group, dyn_runs_on = list(one.labels), one.group, one.dynamic
    except ExpressionError as exc:
        problems.add((*where, "runs-on"), str(exc), "expression")
        labels, group, dyn_runs_on = [], None, False
    written = _written_job(problems.document, job_id)
    return JobPlan(
        **written,
        id=job_id,
        name=_job_name(job_id, job, contexts),
        needs=tuple(job.needs_list()),
        matrix=combos,
        runs_on=labels,
        dynamic_matrix=dynamic,
        matrix_reason=reason,
        runs_on_by_combination=per,
        runner_group=group,
        dynamic_runs_on=dyn_runs_on,
        uses=job.uses,
        if_=_if_text(job.if_),
    )


def _written_job(document: Document | None, job_id: str) -> dict[str, Any]:
    """The job as written (templates and positions); empty without a document."""
    if document is None:
        return {}
    path: Path = ("jobs", job_id)
    spec = written.at(document, path)
    spec = spec if isinstance(spec, Mapping) else {}
    uses = spec.get("uses")
    call = None
    if uses is not None:
        call = CallPlan(str(uses).strip(), spec.get("with"), spec.get("secrets"))
    return {
        "source": written.source(document, path),
        "keys": written.key_sources(document, path),
        "name_template": spec.get("name"),
        "condition": spec.get("if"),
        "runs_on_template": spec.get("runs-on"),
        "strategy": spec.get("strategy"),
        "env": spec.get("env"),
        "defaults_run": written.defaults_run(document, path),
        "outputs": spec.get("outputs"),
        "concurrency": spec.get("concurrency"),
        "continue_on_error": spec.get("continue-on-error"),
        "timeout_minutes": spec.get("timeout-minutes"),
        "container": spec.get("container"),
        "services": spec.get("services"),
        "environment": written.environment_at(document, (*path, "environment")),
        "steps": written.steps_at(document, (*path, "steps")),
        "call": call,
    }


def _written_workflow(document: Document | None, event: str) -> dict[str, Any]:
    """The workflow-level settings as written; empty without a document."""
    if document is None:
        return {}
    on = written.at(document, ("on",))
    trigger: Path = ("on", event)
    declared = event if isinstance(on, Mapping) and event in INPUT_EVENTS else None
    return {
        "file": document.path,
        "source": written.source(document, ()),
        "keys": written.key_sources(document, ()),
        "run_name": written.at(document, ("run-name",)),
        "env": written.at(document, ("env",)),
        "defaults_run": written.defaults_run(document, ()),
        "concurrency": written.at(document, ("concurrency",)),
        "inputs": written.inputs_at(document, (*trigger, "inputs")) if declared else {},
        "secrets": written.inputs_at(document, (*trigger, "secrets")) if declared else {},
        "outputs": written.outputs_at(document, (*trigger, "outputs")) if declared else {},
    }


def plan_workflow(
    workflow: Workflow,
    *,
    path: str,
    event: str,
    payload: Mapping[str, Any],
    inputs: Mapping[str, Any] | None = None,
    document: Document | None = None,
    changed_files: Sequence[str] | None = None,
) -> WorkflowPlan:
    """Plan one workflow model; raises :class:`WorkflowInvalid` for problems found.

    ``changed_files`` decides ``paths``/``paths-ignore`` (None: not known, not evaluated).
    """
    problems = _Problems(path, document)
    shown = repository_path(path)  # GitHub's name for a workflow without one
    name = workflow.name or shown
    written_workflow = {"file": path, **_written_workflow(document, event)}
    fired = event_fires(event_configs(workflow), event, payload, changed_files)
    if not fired.fires:
        return WorkflowPlan(shown, name, False, fired.reason, [], **written_workflow)
    try:
        order = build_graph(
            {job_id: job.needs_list() for job_id, job in workflow.jobs.items()}
        ).order
    except GraphError as exc:
        problems.add(("jobs", exc.job, "needs"), exc.message, "needs")
        raise WorkflowInvalid(problems.found) from exc
    contexts: dict[str, Any] = {"github": github_context(event, payload)}
    reasons = [fired.reason] if fired.reason else []
    declared = declared_inputs(workflow, event, path=path, document=document)
    missing = missing_inputs(declared, inputs or {})
    if missing:
        # unknown inputs: anything that reads ``inputs`` is resolved at run time
        reasons.append(f"required inputs not given: {', '.join(missing)}")
    else:
        try:
            contexts["inputs"] = resolve_inputs(declared, inputs or {}, undeclared="keep").typed
        except InputError as exc:
            where = exc.where
            problems.found.append(
                Diagnostic(path, where.line or 1, where.col or 1, exc.message, "inputs")
            )
            raise WorkflowInvalid(problems.found) from exc
    raw_jobs = document.data.get("jobs") if document and isinstance(document.data, dict) else None
    raw_jobs = raw_jobs if isinstance(raw_jobs, dict) else {}
    jobs = [plan_job(j, workflow.jobs[j], contexts, problems, raw_jobs.get(j)) for j in order]
    if problems.found:
        raise WorkflowInvalid(problems.found)
    return WorkflowPlan(
        shown,
        name,
        True,
        "; ".join(reasons),
        jobs,
        written_order=tuple(workflow.jobs),
        **written_workflow,
    )


def plan_workflows(
    loaded: Sequence[LoadedWorkflow],
    *,
    event: str,
    payload: Mapping[str, Any] | None = None,
    inputs: Mapping[str, Any] | None = None,
    changed_files: Sequence[str] | None = None,
) -> Plan:
    """Plan every loaded workflow for ``event``; ``payload`` defaults to a push to main;
    ``changed_files`` (from git) decides path filters.

    Raises :class:`WorkflowInvalid` with every error diagnostic when any workflow has
    load/validation errors or the planner finds a problem.
    """
    data = dict(payload) if payload is not None else default_payload(event)
    diagnostics: list[Diagnostic] = []
    plans: list[WorkflowPlan] = []
    for item in loaded:
        path = str(item.path)
        errors = item.errors
        if errors or item.model is None:
            diagnostics.extend(errors or [Diagnostic(path, 1, 1, "workflow not loaded", "load")])
            continue
        try:
            plans.append(
                plan_workflow(
                    item.model,
                    path=path,
                    event=event,
                    payload=data,
                    inputs=inputs,
                    document=item.document,
                    changed_files=changed_files,
                )
            )
        except WorkflowInvalid as exc:
            diagnostics.extend(exc.diagnostics)
    if diagnostics:
        raise WorkflowInvalid(diagnostics)
    return Plan(event, plans)
