"""JavaScript actions (``runs.using: node16/node20/node24``) run with the machine's ``node``.

``pre`` runs at job start (see :func:`run_node_pre`), ``main`` as the step, ``post`` at job
end (``post-if``, default ``always()``). ``$GITHUB_STATE`` written by one phase reaches the
later ones as ``STATE_*``.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conveyor.engine import exprs
from conveyor.engine.actionmeta import action_repository, input_env
from conveyor.engine.bus import StepLog
from conveyor.engine.jobstate import PostStep, StepScope
from conveyor.engine.masking import mask_env
from conveyor.engine.ports import StepRequest
from conveyor.engine.status import Conclusion
from conveyor.engine.steprun import (
    StepCall,
    StepDone,
    fail,
    finish_process,
    run_request,
)
from conveyor.planner.plan import ActionPlan, StepPlan


@dataclass(frozen=True)
class _NodeAction:
    """A JavaScript action as one step uses it: ``pre``, ``main`` and ``post`` each run one
    of its scripts, sharing ``$GITHUB_STATE`` under ``state_key``."""

    scope: StepScope
    uses: str
    directory: Path
    inputs: dict[str, str]
    state_key: str

    def run(
        self,
        script: str,
        *,
        name: str,
        env: dict[str, str],
        ctx: dict[str, Any],
        log: StepLog,
        timeout: float | None = None,
    ) -> StepDone:
        scope, job, uses = self.scope, self.scope.job, self.uses
        github = {
            **ctx["github"],
            "action": self.state_key,
            "action_path": str(self.directory),
            "action_repository": action_repository(uses),
            "action_ref": uses.split("@", 1)[1] if "@" in uses else "",
        }
        inputs = input_env(self.inputs)
        process_env = mask_env(job.masker, {**job.process_env(github, env), **inputs})
        request = StepRequest(
            name=name,
            working_directory=job.workspace,
            env=process_env,
            argv=[shutil.which("node") or "node", str(self.directory / script)],
            timeout_seconds=timeout,
            temp_dir=job.temp,
            state=dict(job.action_state.get(self.state_key, {})),
        )
        result = run_request(scope, request, log)
        if result.state:
            job.action_state.setdefault(self.state_key, {}).update(result.state)
        return finish_process(scope, result, request)


def _state_key(step: StepPlan, uses: str) -> str:
    return step.id or f"__{uses}_{step.position}"


def run_node_main(
    call: StepCall, *, action: ActionPlan, directory: Path, inputs: dict[str, str]
) -> StepDone:
    scope, step, env, log = call.scope, call.step, call.env, call.log
    uses = action.uses
    if not action.main:
        return fail(f"action '{uses}' has no runs.main")
    node = _NodeAction(scope, uses, directory, inputs, _state_key(step, uses))
    ctx = scope.contexts(env)
    done = node.run(action.main, name=uses, env=env, ctx=ctx, log=log, timeout=call.timeout)
    if action.post:
        job, name, script = scope.job, f"Post {uses}", action.post

        def run_post(index: int) -> bool:
            ran = node.run(script, name=name, env=env, ctx=ctx, log=job.log(index))
            return ran.outcome is Conclusion.SUCCESS

        job.posts.append(PostStep(name, action.post_if or "always()", run_post))
    return done


def run_node_pre(
    scope: StepScope,
    step: StepPlan,
    *,
    action: ActionPlan,
    directory: Path,
    inputs: dict[str, str],
    index: int,
) -> StepDone:
    """Run the action's ``pre`` script if ``pre-if`` allows; else skip it."""
    env = scope.env_context()
    ctx = scope.contexts(env)
    if not exprs.condition(action.pre_if or "always()", ctx, failed=False, cancelled=False):
        return StepDone(Conclusion.SKIPPED)
    node = _NodeAction(scope, action.uses, directory, inputs, _state_key(step, action.uses))
    return node.run(
        action.pre, name=f"Pre {action.uses}", env=env, ctx=ctx, log=scope.job.log(index)
    )
