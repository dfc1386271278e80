"""Planning with the event's changed files, so ``paths``/``paths-ignore`` are decided.

Additive to :func:`~conveyor.planner.build.plan_workflows` (which treats path filters as
"not evaluated"): :func:`plan_with_changes` plans as usual, then re-checks each firing
workflow's ``push``/``pull_request`` filters against ``changed_files`` with
:mod:`conveyor.filters`, turning it off with a reason that names the patterns, e.g.
``paths: no changed file matches [src/api/**, src/data/**]``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from conveyor.filters import (
    MAX_CHANGED_FILES,
    EventFilterResult,
    check_pull_request_filters,
    check_push_filters,
)
from conveyor.planner.build import event_configs, plan_workflows
from conveyor.planner.plan import Plan, WorkflowPlan
from conveyor.planner.triggers import PULL_REQUEST_EVENTS, default_payload, event_ref
from conveyor.workflow.loader import LoadedWorkflow


def _dig(data: Mapping[str, Any], *keys: str) -> Any:
    value: Any = data
    for key in keys:
        value = value.get(key) if isinstance(value, Mapping) else None
    return value


def _listed(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else [str(v) for v in value]


def _paths_reason(config: Mapping[str, Any], changed: Sequence[str]) -> str:
    include, ignore = config.get("paths"), config.get("paths-ignore")
    if not changed:
        return "paths: no changed files"
    limit = f" (of the first {MAX_CHANGED_FILES})" if len(changed) > MAX_CHANGED_FILES else ""
    if include is not None:
        return f"paths: no changed file{limit} matches [{', '.join(_listed(include))}]"
    return f"paths-ignore: every changed file{limit} matches [{', '.join(_listed(ignore))}]"


def event_fires_with_changes(
    events: Mapping[str, Mapping[str, Any] | None],
    event: str,
    payload: Mapping[str, Any],
    changed_files: Sequence[str] | None,
) -> EventFilterResult:
    """The push/pull_request filter verdict with known changed files (other events: fires)."""
    config = events.get(event) or {}
    if event == "push":
        ref = event_ref(event, payload)

        def check(files: Sequence[str] | None) -> EventFilterResult:
            return check_push_filters(config, ref=ref, changed_files=files)

    elif event in PULL_REQUEST_EVENTS:
        base = str(_dig(payload, "pull_request", "base", "ref") or "main")
        action = str(payload.get("action") or "opened")

        def check(files: Sequence[str] | None) -> EventFilterResult:
            return check_pull_request_filters(
                config, base_ref=base, action=action, changed_files=files
            )

    else:
        return EventFilterResult(True, "")
    result = check(changed_files)
    if result.fires or changed_files is None or not check(None).fires:
        return result
    return EventFilterResult(False, _paths_reason(config, changed_files))


def plan_with_changes(
    loaded: Sequence[LoadedWorkflow],
    *,
    event: str,
    payload: Mapping[str, Any] | None = None,
    inputs: Mapping[str, Any] | None = None,
    changed_files: Sequence[str] | None = None,
) -> Plan:
    """Like :func:`plan_workflows`, with path filters decided by ``changed_files``."""
    data = dict(payload) if payload is not None else default_payload(event)
    plan = plan_workflows(loaded, event=event, payload=data, inputs=inputs)
    if changed_files is None:
        return plan
    models = {str(item.path): item.model for item in loaded}
    result: list[WorkflowPlan] = []
    for wf in plan.workflows:
        model = models.get(wf.path)
        if not wf.fires or model is None:
            result.append(wf)
            continue
        verdict = event_fires_with_changes(event_configs(model), event, data, changed_files)
        if not verdict.fires:
            result.append(WorkflowPlan(wf.path, wf.name, False, verdict.reason, []))
            continue
        reasons = [r for r in wf.reason.split("; ") if r and "not evaluated" not in r]
        reasons += [verdict.reason] if verdict.reason else []
        result.append(WorkflowPlan(wf.path, wf.name, True, "; ".join(reasons), wf.jobs, wf.graph))
    return Plan(plan.event, result)
