"""``uses:`` steps: resolve through the ActionProvider, then run a built-in, composite or
JavaScript action; Docker actions fail with a clear message."""

from __future__ import annotations

from typing import Any

from conveyor.engine import exprs
from conveyor.engine.actionmeta import DOCKER_MESSAGE, load_action_meta, resolve_inputs, runs_using
from conveyor.engine.jobstate import JobState, PostStep
from conveyor.engine.ports import ActionContext, ActionResult, ResolvedAction
from conveyor.engine.status import Conclusion
from conveyor.engine.steprun import StepCall, StepDone, fail
from conveyor.errors import ActionError

MAX_DEPTH = 10


def resolve(job: JobState, uses: str) -> ResolvedAction:
    cache = job.resolved
    if uses not in cache:
        cache[uses] = job.wf.services.actions.resolve(
            uses, workspace=job.workspace, repository_root=job.wf.options.repo.root
        )
    return cache[uses]


def run_uses(call: StepCall) -> StepDone:
    scope, spec, ctx, log = call.scope, call.spec, call.ctx, call.log
    uses = str(spec["uses"]).strip()
    if uses.startswith("docker://"):
        return fail(f"step '{uses}' {DOCKER_MESSAGE}")
    try:
        action = resolve(scope.job, uses)
    except ActionError as exc:
        return fail(str(exc))
    given = exprs.render(spec.get("with") or {}, ctx)
    given = given if isinstance(given, dict) else {}
    if action.kind == "builtin" and action.builtin is not None:
        return run_builtin(call, action, given)
    if action.kind == "workflow":
        return fail(f"'{uses}' is a reusable workflow; call it from jobs.<job_id>.uses")
    if action.kind == "docker" or action.directory is None:
        return fail(f"action '{uses}' {DOCKER_MESSAGE}")
    meta = load_action_meta(action.directory)
    using = runs_using(meta)
    inputs, warnings = resolve_inputs(meta, given, ctx)
    for warning in warnings:
        log.warning(f"{uses}: {warning}")
    if using == "composite":
        from conveyor.engine.composite import run_composite

        depth = scope.depth + 1
        if depth > MAX_DEPTH:
            return fail(f"composite actions nested deeper than {MAX_DEPTH} levels ({uses})")
        return run_composite(
            call, uses=uses, directory=action.directory, meta=meta, inputs=inputs, depth=depth
        )
    if using.startswith("node"):
        from conveyor.engine.jsaction import run_node_main

        return run_node_main(call, uses=uses, directory=action.directory, meta=meta, inputs=inputs)
    if using == "docker":
        return fail(f"action '{uses}' {DOCKER_MESSAGE}")
    return fail(f"action '{uses}': unsupported runs.using '{using}'")


def run_builtin(call: StepCall, action: ResolvedAction, inputs: dict[str, Any]) -> StepDone:
    scope, ctx, env, log = call.scope, call.ctx, call.env, call.log
    job = scope.job
    assert action.builtin is not None
    process_env = job.process_env(ctx["github"], env)
    if job.wf.options.checkout_mode != "copy":
        process_env["CONVEYOR_CHECKOUT_MODE"] = job.wf.options.checkout_mode
    context = ActionContext(
        inputs={str(k): exprs.to_str(v) for k, v in inputs.items()},
        workspace=job.workspace,
        repository_root=job.wf.options.repo.root,
        state_dir=job.wf.options.state_dir,
        env=process_env,
        github=ctx["github"],
        run_id=job.wf.run_id,
        job_key=job.key,
        output=log,
        masker=job.wf.services.masker,
        cancel=job.cancel,
    )
    result = action.builtin(context)
    done = apply_action_result(job, result)
    post = result.post
    if post is not None:

        def run_post(index: int) -> bool:
            context.output = job.log(index)
            return apply_action_result(job, post(context)).outcome is Conclusion.SUCCESS

        job.posts.append(PostStep(f"Post {action.uses}", "always()", run_post))
    return done


def apply_action_result(job: JobState, result: ActionResult) -> StepDone:
    job.added_env.update(result.env)
    job.added_path.extend(result.path)
    if job.cancel.is_set() and not result.ok:
        return StepDone(Conclusion.CANCELLED, outputs=dict(result.outputs), summary=result.summary)
    if result.ok:
        return StepDone(Conclusion.SUCCESS, 0, dict(result.outputs), summary=result.summary)
    return StepDone(
        Conclusion.FAILURE, 1, dict(result.outputs), summary=result.summary, note=result.message
    )
