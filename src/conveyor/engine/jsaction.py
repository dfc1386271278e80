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
from conveyor.engine.emitter import StepLog
from conveyor.engine.jobstate import PostStep, StepScope
from conveyor.engine.ports import StepRequest
from conveyor.engine.status import Conclusion
from conveyor.engine.steprun import (
    StepCall,
    StepDone,
    fail,
    finish_process,
    run_request,
    step_timeout,
)


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
        process_env = job.process_env(github, env)
        process_env.update(input_env(self.inputs))
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


def _state_key(spec: dict[str, Any], uses: str, position: int) -> str:
    return str(spec.get("id") or f"__{uses}_{position}")


def run_node_main(
    call: StepCall,
    *,
    uses: str,
    directory: Path,
    meta: dict[str, Any],
    inputs: dict[str, str],
) -> StepDone:
    scope, spec, env, log = call.scope, call.spec, call.env, call.log
    runs = meta.get("runs") or {}
    main = runs.get("main")
    if not main:
        return fail(f"action '{uses}' has no runs.main")
    action = _NodeAction(scope, uses, directory, inputs, _state_key(spec, uses, call.position))
    ctx = scope.contexts(env)
    done = action.run(
        str(main), name=uses, env=env, ctx=ctx, log=log, timeout=step_timeout(spec, ctx)
    )
    post = runs.get("post")
    if post:
        job, name = scope.job, f"Post {uses}"

        def run_post(index: int) -> bool:
            ran = action.run(str(post), name=name, env=env, ctx=ctx, log=job.log(index))
            return ran.outcome is Conclusion.SUCCESS

        condition = str(runs.get("post-if") or "always()")
        job.posts.append(PostStep(name, condition, run_post))
    return done


def run_node_pre(
    scope: StepScope,
    spec: dict[str, Any],
    *,
    uses: str,
    directory: Path,
    meta: dict[str, Any],
    inputs: dict[str, str],
    position: int,
    index: int,
) -> StepDone:
    """Run the action's ``pre`` script if it has one and ``pre-if`` allows; else skip it."""
    runs = meta.get("runs") or {}
    pre = runs.get("pre")
    if not pre:
        return StepDone(Conclusion.SKIPPED)
    env = scope.env_context()
    ctx = scope.contexts(env)
    if not exprs.condition(runs.get("pre-if") or "always()", ctx, failed=False, cancelled=False):
        return StepDone(Conclusion.SKIPPED)
    action = _NodeAction(scope, uses, directory, inputs, _state_key(spec, uses, position))
    return action.run(str(pre), name=f"Pre {uses}", env=env, ctx=ctx, log=scope.job.log(index))
