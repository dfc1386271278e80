"""``pre`` scripts of JavaScript actions, run at job start before any step (as on GitHub)."""

from __future__ import annotations

import time
from typing import Any

from conveyor.engine import exprs
from conveyor.engine.actionmeta import load_action_meta, resolve_inputs, runs_using
from conveyor.engine.actionrun import resolve
from conveyor.engine.events import StepFinished, StepStarted
from conveyor.engine.jobstate import StepScope
from conveyor.engine.jsaction import run_node_pre
from conveyor.engine.status import Conclusion
from conveyor.errors import ConveyorError


def run_pre_steps(scope: StepScope, steps: list[dict[str, Any]]) -> None:
    job = scope.job
    for position, spec in enumerate(steps):
        uses = str(spec.get("uses") or "").strip()
        if not uses or uses.startswith("docker://"):
            continue
        try:
            action = resolve(job, uses)
            if action.kind not in ("node", "composite", "docker") or action.directory is None:
                continue
            meta = load_action_meta(action.directory)
            if not runs_using(meta).startswith("node") or not (meta.get("runs") or {}).get("pre"):
                continue
            ctx = scope.contexts(scope.env_context())
            given = exprs.render(spec.get("with") or {}, ctx)
            inputs, _ = resolve_inputs(meta, given if isinstance(given, dict) else {}, ctx)
        except ConveyorError:
            continue  # reported when the step itself runs
        index = job.next_index()
        name = f"Pre {uses}"
        started = time.time()
        job.wf.emitter.emit(StepStarted(job.wf.run_id, job.key, index, name, started))
        done = run_node_pre(
            scope,
            spec,
            uses=uses,
            directory=action.directory,
            meta=meta,
            inputs=inputs,
            position=position,
            index=index,
        )
        outcome = done.outcome if done is not None else Conclusion.SKIPPED
        if outcome is Conclusion.FAILURE:
            scope.failed = True
        job.wf.emitter.emit(
            StepFinished(
                job.wf.run_id,
                job.key,
                index,
                name,
                outcome,
                outcome,
                done.exit_code if done else None,
                started,
                time.time(),
                note=done.note if done else "",
            )
        )
