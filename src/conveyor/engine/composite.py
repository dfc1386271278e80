"""Composite actions: their steps run in a scope of their own (``inputs``, ``steps``,
``github.action_path``), logging under the calling step; outputs map from ``steps``."""

from __future__ import annotations

from pathlib import Path

from conveyor.engine import exprs
from conveyor.engine.actionmeta import action_repository
from conveyor.engine.jobstate import StepScope
from conveyor.engine.status import Conclusion
from conveyor.engine.steprun import StepCall, StepDone, run_steps
from conveyor.errors import ConveyorError
from conveyor.planner.plan import ActionPlan


def run_composite(
    call: StepCall,
    *,
    action: ActionPlan,
    directory: Path,
    inputs: dict[str, str],
    depth: int,
) -> StepDone:
    scope, env, index = call.scope, call.env, call.index
    job = scope.job
    uses = action.uses
    inner = StepScope(
        job=job,
        env=env,
        defaults={},
        step_index=index,
        action_path=str(directory),
        action_repository=action_repository(uses),
        inputs=dict(inputs),
        depth=depth,
    )
    run_steps(inner, action.steps)
    outputs: dict[str, str] = {}
    ctx = inner.contexts(inner.env_context())
    for name, value in action.outputs.items():
        try:
            outputs[name] = exprs.text(value, ctx)
        except ConveyorError as exc:
            return StepDone(Conclusion.FAILURE, outputs=outputs, note=f"output '{name}': {exc}")
    if inner.failed:
        return StepDone(Conclusion.FAILURE, 1, outputs, note=f"composite action {uses} failed")
    if job.cancel.is_set():
        return StepDone(Conclusion.CANCELLED, outputs=outputs)
    return StepDone(Conclusion.SUCCESS, 0, outputs)
