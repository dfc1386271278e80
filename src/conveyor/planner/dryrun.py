"""What ``conveyor run --dry-run`` prints: every job and step that would run, in order.

Jobs come in the order the plan runs them, each matrix combination on its own (after
``--job`` and ``--matrix``); steps in their order. An ``if:`` is decided when it reads only
what is known before a run (``github``, ``inputs``, ``vars`` and the job's ``matrix``),
as if everything before it succeeded; otherwise it is shown as decided at run time.
Pure: nothing is run, resolved over the network or recorded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from conveyor.errors import ExpressionError
from conveyor.expressions import evaluate_if
from conveyor.expressions.templates import OPEN
from conveyor.planner.github import github_context
from conveyor.planner.graph import select_jobs
from conveyor.planner.plan import JobPlan, StepPlan, WorkflowPlan
from conveyor.planner.selection import chosen_combinations, matrix_key
from conveyor.planner.statics import referenced

RUN_TIME = "decided at run time"
HEADER = (
    "dry run: nothing runs and nothing is recorded "
    "(if: shown as it would be decided when everything before it succeeds)"
)


def decide(condition: Any, contexts: Mapping[str, Any]) -> bool | None:
    """An ``if:`` decided from ``contexts`` alone: True, False, or None when it needs
    something known only at run time (another context, ``hashFiles``, a bad expression)."""
    if condition is None or condition == "":
        return True
    if isinstance(condition, bool):
        return condition
    text = str(condition)
    wrapped = text if OPEN in text else "${{ " + text + " }}"
    try:
        if referenced(wrapped) - {str(k).lower() for k in contexts} or "hashfiles(" in (
            text.lower().replace(" ", "")
        ):
            return None
        return evaluate_if(text, contexts)
    except ExpressionError:
        return None


def _if_note(condition: Any, verdict: bool | None) -> str:
    if condition is None or condition == "":
        return ""
    shown = "true" if condition is True else "false" if condition is False else str(condition)
    outcome = RUN_TIME if verdict is None else ("true" if verdict else "false")
    return f"  [if: {shown.strip()} -> {outcome}]"


def _step_lines(steps: Sequence[StepPlan], contexts: Mapping[str, Any]) -> list[str]:
    lines = []
    for step in steps:
        verdict = decide(step.if_, contexts)
        skipped = "  (skipped)" if verdict is False else ""
        lines.append(
            f"    {step.position + 1}. {step.display_name()}{_if_note(step.if_, verdict)}{skipped}"
        )
    return lines


def _job_lines(
    job: JobPlan, contexts: dict[str, Any], job_filter: Sequence[str], matrix: Any
) -> list[str]:
    needs = f"  needs: {', '.join(job.needs)}" if job.needs else ""
    if job.dynamic_matrix or job.matrix is None:
        title = (
            f"  {job.id}: matrix {RUN_TIME} ({job.matrix_reason})"
            if job.matrix_reason
            else (f"  {job.id}: matrix {RUN_TIME}")
        )
        return [title + needs, *_body(job, {**contexts, "matrix": {}}, decided=False)]
    lines: list[str] = []
    combos = chosen_combinations(job.id, job.combinations(), matrix, job_filter)
    if not combos:
        return [f"  {job.id}{needs}  (skipped: no matrix combination is selected)"]
    for combo in combos:
        ctx = {**contexts, "matrix": combo}
        title = matrix_key(job.id, combo)
        if job.name not in (job.id, title) and "${{" not in job.name:
            title += f" [{job.name}]"
        verdict = decide(job.condition, ctx)
        skipped = "  (skipped)" if verdict is False else ""
        lines.append(f"  {title}{needs}{_if_note(job.condition, verdict)}{skipped}")
        if verdict is not False:
            lines.extend(_body(job, ctx, decided=True))
    return lines


def _body(job: JobPlan, contexts: dict[str, Any], *, decided: bool) -> list[str]:
    if job.call is not None:
        return [f"    calls {job.call.uses}"]
    if job.uses is not None:
        return [f"    calls {job.uses}"]
    if not decided:
        contexts = {k: v for k, v in contexts.items() if k != "matrix"}
    return _step_lines(job.steps, contexts)


def dry_run_lines(
    plans: Sequence[WorkflowPlan],
    *,
    event: str,
    payload: Mapping[str, Any],
    inputs: Mapping[str, Any],
    variables: Mapping[str, str],
    job_filter: Sequence[str] = (),
    matrix_filter: Mapping[str, Sequence[str]] | None = None,
) -> list[str]:
    """The dry run of ``plans`` (the workflows an event fires) as lines of text."""
    lines = [HEADER]
    contexts: dict[str, Any] = {
        "github": github_context(event, payload),
        "inputs": dict(inputs),
        "vars": dict(variables),
    }
    for plan in plans:
        header = plan.path if plan.name == plan.path else f"{plan.path} ({plan.name})"
        lines.extend(["", f"{header}, on {event}:"])
        chosen = set(select_jobs(plan.graph, job_filter))
        for job in plan.jobs:
            if job.id in chosen:
                lines.extend(_job_lines(job, contexts, job_filter, matrix_filter or {}))
    return lines
