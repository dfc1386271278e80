"""``uses:`` steps: run the compiled action -- a built-in, a composite or a JavaScript
action; Docker actions fail with a clear message."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conveyor.engine import exprs
from conveyor.engine.actionmeta import resolve_inputs
from conveyor.engine.compile import DOCKER_MESSAGE, MAX_ACTION_DEPTH, METADATA_FILES, Compiler
from conveyor.engine.jobstate import JobState, PostStep
from conveyor.engine.ports import ActionContext, ActionResult, BuiltinAction
from conveyor.engine.status import Conclusion
from conveyor.engine.steprun import StepCall, StepDone, fail
from conveyor.errors import ActionError, ConveyorError
from conveyor.planner.plan import ActionPlan, StepPlan


def action_of(job: JobState, step: StepPlan) -> ActionPlan:
    """The step's compiled action (compiled here when the plan came without it)."""
    if step.action is not None:
        return step.action
    compiler = Compiler(job.services.actions, job.repo_root)
    action = compiler.action(step)
    if action is None:
        raise ActionError("; ".join(d.format() for d in compiler.problems))
    return action


def action_directory(job: JobState, action: ActionPlan) -> Path:
    """Where the action's files are: a local action in the job's workspace (checked out
    there) when it is, else where it was found when the run was compiled."""
    if action.local_path:
        candidate = job.workspace / action.local_path
        if any((candidate / name).is_file() for name in METADATA_FILES):
            return candidate.resolve()
    return Path(action.directory)


def builtin(job: JobState, uses: str) -> BuiltinAction:
    cached = job.resolved.get(uses)
    if cached is None:
        cached = job.services.actions.resolve(
            uses, workspace=job.workspace, repository_root=job.repo_root
        )
        job.resolved[uses] = cached
    if cached.builtin is None:
        raise ActionError(f"'{uses}' is no longer a built-in action of this conveyor")
    return cached.builtin


def run_uses(call: StepCall) -> StepDone:
    scope, step, ctx, log = call.scope, call.step, call.ctx, call.log
    job = scope.job
    try:
        action = action_of(job, step)
    except ConveyorError as exc:
        return fail(str(exc))
    uses = action.uses
    if action.kind == "docker":
        return fail(f"{step.where('uses')}: action '{uses}' {DOCKER_MESSAGE}")
    given = exprs.render(step.with_ or {}, ctx)
    given = given if isinstance(given, dict) else {}
    if action.kind == "builtin":
        return run_builtin(call, uses, given)
    inputs, warnings = resolve_inputs(action, given, ctx)
    for warning in warnings:
        log.warning(f"{uses}: {warning}")
    directory = action_directory(job, action)
    if action.kind == "composite":
        from conveyor.engine.composite import run_composite

        depth = scope.depth + 1
        if depth > MAX_ACTION_DEPTH:
            return fail(f"composite actions nested deeper than {MAX_ACTION_DEPTH} levels ({uses})")
        return run_composite(call, action=action, directory=directory, inputs=inputs, depth=depth)
    if action.kind == "node":
        from conveyor.engine.jsaction import run_node_main

        return run_node_main(call, action=action, directory=directory, inputs=inputs)
    return fail(f"action '{uses}': unsupported runs.using '{action.using}'")


def run_builtin(call: StepCall, uses: str, inputs: dict[str, Any]) -> StepDone:
    scope, ctx, env, log = call.scope, call.ctx, call.env, call.log
    job = scope.job
    try:
        action = builtin(job, uses)
    except ConveyorError as exc:
        return fail(str(exc))
    process_env = job.process_env(ctx["github"], env)
    if job.request.checkout_mode != "copy":
        process_env["CONVEYOR_CHECKOUT_MODE"] = job.request.checkout_mode
    context = ActionContext(
        inputs={str(k): exprs.to_str(v) for k, v in inputs.items()},
        workspace=job.workspace,
        repository_root=job.repo_root,
        state_dir=job.state_dir,
        env=process_env,
        github=ctx["github"],
        run_id=job.run_id,
        job_key=job.key,
        run_key=job.request.run.key,
        step_index=call.index,
        output=log,
        masker=job.masker,
        cancel=job.cancel,
    )
    result = action(context)
    job.uploaded.extend(result.uploaded)
    done = apply_action_result(job, result)
    post = result.post
    if post is not None:

        def run_post(index: int) -> bool:
            context.output = job.log(index)
            ended = apply_action_result(job, post(context))
            if ended.note:
                context.output.line(job.masker.mask(f"error: {ended.note}"), "stderr")
            return ended.outcome is Conclusion.SUCCESS

        job.posts.append(PostStep(f"Post {uses}", "always()", run_post))
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
