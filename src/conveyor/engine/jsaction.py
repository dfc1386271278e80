"""JavaScript actions (``runs.using: node16/node20/node24``) run with the machine's ``node``.

``pre`` runs at job start (see :func:`run_node_pre`), ``main`` as the step, ``post`` at job
end (``post-if``, default ``always()``). ``$GITHUB_STATE`` written by one phase reaches the
later ones as ``STATE_*``.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from conveyor.engine import exprs
from conveyor.engine.actionmeta import input_env
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


def _request(
    scope: StepScope,
    *,
    name: str,
    directory: Path,
    script: str,
    env: dict[str, str],
    ctx: dict[str, Any],
    state_key: str,
    timeout: float | None,
    inputs: dict[str, str],
    uses: str,
) -> StepRequest:
    job = scope.job
    node = shutil.which("node") or "node"
    github = {
        **ctx["github"],
        "action": state_key,
        "action_path": str(directory),
        "action_repository": "" if uses.startswith(".") else uses.split("@", 1)[0],
        "action_ref": uses.split("@", 1)[1] if "@" in uses else "",
    }
    process_env = job.process_env(github, env)
    process_env.update(input_env(inputs))
    return StepRequest(
        name=name,
        working_directory=job.workspace,
        env=process_env,
        argv=[node, str(directory / script)],
        timeout_seconds=timeout,
        temp_dir=job.temp,
        state=dict(job.action_state.get(state_key, {})),
    )


def _run_phase(scope: StepScope, request: StepRequest, log: StepLog, state_key: str) -> StepDone:
    result = run_request(scope, request, log)
    if result.state:
        scope.job.action_state.setdefault(state_key, {}).update(result.state)
    return finish_process(scope, result, request)


def run_node_main(
    call: StepCall,
    *,
    uses: str,
    directory: Path,
    meta: dict[str, Any],
    inputs: dict[str, str],
) -> StepDone:
    scope, spec, env, log, position = call.scope, call.spec, call.env, call.log, call.position
    runs = meta.get("runs") or {}
    main = runs.get("main")
    if not main:
        return fail(f"action '{uses}' has no runs.main")
    state_key = str(spec.get("id") or f"__{uses}_{position}")
    ctx = scope.contexts(env)
    request = _request(
        scope,
        name=uses,
        directory=directory,
        script=str(main),
        env=env,
        ctx=ctx,
        state_key=state_key,
        timeout=step_timeout(spec, ctx),
        inputs=inputs,
        uses=uses,
    )
    done = _run_phase(scope, request, log, state_key)
    post = runs.get("post")
    if post:
        job = scope.job

        def run_post(index: int) -> bool:
            post_log = StepLog(job.wf.emitter, job.wf.run_id, job.key, index)
            post_request = _request(
                scope,
                name=f"Post {uses}",
                directory=directory,
                script=str(post),
                env=env,
                ctx=ctx,
                state_key=state_key,
                timeout=None,
                inputs=inputs,
                uses=uses,
            )
            return _run_phase(scope, post_request, post_log, state_key).outcome is (
                Conclusion.SUCCESS
            )

        condition = str(runs.get("post-if") or "always()")
        job.posts.append(PostStep(f"Post {uses}", condition, run_post))
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
) -> StepDone | None:
    """Run the action's ``pre`` script if it has one (and ``pre-if`` allows); else None."""
    runs = meta.get("runs") or {}
    pre = runs.get("pre")
    if not pre:
        return None
    env = scope.env_context()
    ctx = scope.contexts(env)
    if not exprs.condition(runs.get("pre-if") or "always()", ctx, failed=False, cancelled=False):
        return None
    state_key = str(spec.get("id") or f"__{uses}_{position}")
    log = StepLog(scope.job.wf.emitter, scope.job.wf.run_id, scope.job.key, index)
    request = _request(
        scope,
        name=f"Pre {uses}",
        directory=directory,
        script=str(pre),
        env=env,
        ctx=ctx,
        state_key=state_key,
        timeout=None,
        inputs=inputs,
        uses=uses,
    )
    return _run_phase(scope, request, log, state_key)
