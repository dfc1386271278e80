"""``pre`` scripts of JavaScript actions, run at job start before any step (as on GitHub)."""

from __future__ import annotations

from typing import Any

from conveyor.engine import exprs
from conveyor.engine.actionmeta import load_action_meta, resolve_inputs, runs_using
from conveyor.engine.actionrun import resolve
from conveyor.engine.jobstate import StepScope
from conveyor.engine.jsaction import run_node_pre
from conveyor.engine.steprun import run_job_step
from conveyor.errors import ConveyorError


def run_pre_steps(scope: StepScope, steps: list[dict[str, Any]]) -> None:
    for position, spec in enumerate(steps):
        _run_pre(scope, spec, position)


def _run_pre(scope: StepScope, spec: dict[str, Any], position: int) -> None:
    uses = str(spec.get("uses") or "").strip()
    if not uses or uses.startswith("docker://"):
        return
    try:
        action = resolve(scope.job, uses)
        directory = action.directory
        if action.kind not in ("node", "composite", "docker") or directory is None:
            return
        meta = load_action_meta(directory)
        if not runs_using(meta).startswith("node") or not (meta.get("runs") or {}).get("pre"):
            return
        ctx = scope.contexts(scope.env_context())
        given = exprs.render(spec.get("with") or {}, ctx)
        inputs, _ = resolve_inputs(meta, given if isinstance(given, dict) else {}, ctx)
    except ConveyorError:
        return  # reported when the step itself runs
    run_job_step(
        scope,
        f"Pre {uses}",
        lambda index: run_node_pre(
            scope,
            spec,
            uses=uses,
            directory=directory,
            meta=meta,
            inputs=inputs,
            position=position,
            index=index,
        ),
    )
