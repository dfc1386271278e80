"""The planner: which workflows an event fires, job order, matrices and runners (pure).

Public API: :func:`plan_workflows` (and :func:`plan_workflow` for one model),
:func:`expand_matrix`, :func:`build_graph`, the :class:`Plan` result types and
:func:`format_plan` for the text output of ``conveyor plan``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# Imported on first use, so a process that needs only the plan types (a job executor)
# does not pay for the workflow model.
_EXPORTS: dict[str, str] = {
    "DynamicValue": "conveyor.planner.statics",
    "GraphError": "conveyor.planner.graph",
    "JobGraph": "conveyor.planner.graph",
    "JobPlan": "conveyor.planner.plan",
    "MAX_COMBINATIONS": "conveyor.planner.matrix",
    "MatrixError": "conveyor.planner.matrix",
    "MatrixResult": "conveyor.planner.matrix",
    "PayloadRepo": "conveyor.planner.payloads",
    "Plan": "conveyor.planner.plan",
    "RunsOn": "conveyor.planner.runson",
    "StaticEvalError": "conveyor.planner.statics",
    "WorkflowPlan": "conveyor.planner.plan",
    "build_graph": "conveyor.planner.graph",
    "default_payload": "conveyor.planner.payloads",
    "event_configs": "conveyor.planner.build",
    "event_fires": "conveyor.planner.triggers",
    "expand_matrix": "conveyor.planner.matrix",
    "expand_static": "conveyor.planner.matrix",
    "format_plan": "conveyor.planner.render",
    "github_context": "conveyor.planner.github",
    "plan_workflow": "conveyor.planner.build",
    "plan_workflows": "conveyor.planner.build",
    "resolve_runs_on": "conveyor.planner.runson",
    "resolve_runs_on_each": "conveyor.planner.runson",
    "resolve_static": "conveyor.planner.statics",
}

if TYPE_CHECKING:
    from conveyor.planner.build import event_configs, plan_workflow, plan_workflows
    from conveyor.planner.github import github_context
    from conveyor.planner.graph import GraphError, JobGraph, build_graph
    from conveyor.planner.matrix import (
        MAX_COMBINATIONS,
        MatrixError,
        MatrixResult,
        expand_matrix,
        expand_static,
    )
    from conveyor.planner.payloads import PayloadRepo, default_payload
    from conveyor.planner.plan import JobPlan, Plan, WorkflowPlan
    from conveyor.planner.render import format_plan
    from conveyor.planner.runson import RunsOn, resolve_runs_on, resolve_runs_on_each
    from conveyor.planner.statics import DynamicValue, StaticEvalError, resolve_static
    from conveyor.planner.triggers import event_fires


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


__all__ = [
    "MAX_COMBINATIONS",
    "DynamicValue",
    "GraphError",
    "JobGraph",
    "JobPlan",
    "MatrixError",
    "MatrixResult",
    "PayloadRepo",
    "Plan",
    "RunsOn",
    "StaticEvalError",
    "WorkflowPlan",
    "build_graph",
    "default_payload",
    "event_configs",
    "event_fires",
    "expand_matrix",
    "expand_static",
    "format_plan",
    "github_context",
    "plan_workflow",
    "plan_workflows",
    "resolve_runs_on",
    "resolve_runs_on_each",
    "resolve_static",
]
