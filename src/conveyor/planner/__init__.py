"""The planner: which workflows an event fires, job order, matrices and runners (pure).

Public API: :func:`plan_workflows` (and :func:`plan_workflow` for one model),
:func:`expand_matrix`, :func:`build_graph`, the :class:`Plan` result types and
:func:`format_plan` for the text output of ``conveyor plan``.
"""

from __future__ import annotations

from conveyor.planner.build import event_configs, plan_workflow, plan_workflows
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
from conveyor.planner.triggers import event_fires, github_context

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
