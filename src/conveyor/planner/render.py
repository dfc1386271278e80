"""The text form of a plan, as printed by ``conveyor plan``."""

from __future__ import annotations

import json
from typing import Any

from conveyor.planner.plan import JobPlan, Plan, WorkflowPlan

MAX_SHOWN = 20
"""Combinations listed per job before the rest are summarised."""


def _value(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"))


def _combo(combo: dict[str, Any]) -> str:
    return "{" + ", ".join(f"{k}: {_value(v)}" for k, v in combo.items()) + "}"


def _runner(labels: list[str], group: str | None) -> str:
    parts = [f"group {group}"] if group else []
    if labels:
        parts.append(", ".join(labels))
    return "; ".join(parts) or "-"


def _job_lines(job: JobPlan) -> list[str]:
    title = job.id if job.name == job.id else f"{job.id} ({job.name})"
    lines = [f"  - {title}"]
    if job.needs:
        lines.append(f"      needs: {', '.join(job.needs)}")
    if job.uses:
        lines.append(f"      uses: {job.uses}")
    else:
        lines.append(f"      runs-on: {_runner(job.runs_on, job.runner_group)}")
    if job.dynamic_matrix:
        lines.append(f"      matrix: dynamic (resolved at run time; {job.matrix_reason})")
    elif job.matrix:
        varies = any(labels != job.runs_on for labels in job.runs_on_by_combination)
        lines.append(f"      matrix: {len(job.matrix)} combination(s)")
        for i, combo in enumerate(job.matrix[:MAX_SHOWN]):
            where = f"  -> {', '.join(job.runs_on_by_combination[i])}" if varies else ""
            lines.append(f"        {_combo(combo)}{where}")
        if len(job.matrix) > MAX_SHOWN:
            lines.append(f"        ... and {len(job.matrix) - MAX_SHOWN} more")
    return lines


def _workflow_lines(workflow: WorkflowPlan) -> list[str]:
    header = (
        workflow.path if workflow.name == workflow.path else f"{workflow.path} ({workflow.name})"
    )
    if not workflow.fires:
        return [f"{header}: does not fire ({workflow.reason})"]
    note = f" ({workflow.reason})" if workflow.reason else ""
    lines = [f"{header}: fires{note}", f"  jobs ({len(workflow.jobs)}, in dependency order):"]
    for job in workflow.jobs:
        lines.extend(_job_lines(job))
    return lines


def format_plan(plan: Plan) -> str:
    """Human-readable plan: per workflow, whether it fires, then its jobs in order."""
    if not plan.workflows:
        return f"event {plan.event}: no workflows found"
    lines = [f"event: {plan.event}"]
    for workflow in plan.workflows:
        lines.append("")
        lines.extend(_workflow_lines(workflow))
    fired = len(plan.firing())
    lines.extend(["", f"{fired} of {len(plan.workflows)} workflow(s) fire"])
    return "\n".join(lines)
