"""``pre`` scripts of JavaScript actions, run at job start before any step (as on GitHub)."""

from __future__ import annotations

from collections.abc import Sequence

from conveyor.engine import exprs
from conveyor.engine.actionmeta import resolve_inputs
from conveyor.engine.actionrun import action_directory, action_of
from conveyor.engine.jobstate import StepScope
from conveyor.engine.jsaction import run_node_pre
from conveyor.engine.steprun import run_job_step
from conveyor.errors import ConveyorError
from conveyor.planner.plan import StepPlan


def run_pre_steps(scope: StepScope, steps: Sequence[StepPlan]) -> None:
    for step in steps:
        _run_pre(scope, step)


def _run_pre(scope: StepScope, step: StepPlan) -> None:
    if step.uses is None or step.uses.startswith("docker://"):
        return
    try:
        action = action_of(scope.job, step)
        if action.kind != "node" or not action.pre:
            return
        directory = action_directory(scope.job, action)
        ctx = scope.contexts(scope.env_context())
        given = exprs.render(step.with_ or {}, ctx)
        inputs, _ = resolve_inputs(action, given if isinstance(given, dict) else {}, ctx)
    except ConveyorError:
        return  # reported when the step itself runs
    run_job_step(
        scope,
        f"Pre {action.uses}",
        lambda index: run_node_pre(
            scope, step, action=action, directory=directory, inputs=inputs, index=index
        ),
    )
