"""`conveyor run`: plan the workflows an event triggers and run them locally.

Wires the concrete step runner, action provider, store and console into
:func:`conveyor.engine.run.run_workflows` under :func:`conveyor.runners.interrupts.interruptible`
(SIGINT/SIGTERM cancel, every step process group is swept, exit 130; an orphan guard for
``kill -9``), the same wiring ``conveyor test`` uses.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import typer

from conveyor.engine.platforms import parse_platforms
from conveyor.engine.run import RunReport
from conveyor.engine.runstate import RunOptions
from conveyor.engine.secrets import collect_secrets, parse_pairs
from conveyor.engine.status import Conclusion
from conveyor.errors import Interrupted, RunFailed, UsageError
from conveyor.git import repo_info
from conveyor.launch.runs import executor_name, resume_run, run_plans
from conveyor.planner import plan_workflows
from conveyor.planner.github import RepoFacts
from conveyor.planner.plan import WorkflowPlan
from conveyor.runners.interrupts import interruptible
from conveyor.store import default_state_dir
from conveyor.triggers.resolve import event_from_repo
from conveyor.triggers.scheduled import relative
from conveyor.workflow.inputs import INPUT_EVENTS, declared_inputs_of, resolve_inputs
from conveyor.workflow.loader import load_workflow
from conveyor.workflow.validate import discover_workflows


def register(app: typer.Typer) -> None:
    if any(info.name == "run" for info in app.registered_commands):
        return
    app.command("run")(run)
    app.command("resume")(resume)
    app.command("job-exec", hidden=True)(job_exec)


def _repo_facts(path: Path) -> RepoFacts:
    info = repo_info(path)
    return RepoFacts(
        root=info.root,
        sha=info.sha or "0" * 40,
        ref=info.ref or f"refs/heads/{info.default_branch}",
        ref_name=info.ref_name or info.default_branch,
        branch=info.branch,
        default_branch=info.default_branch,
        repository=info.repository if "/" in info.repository else f"local/{info.repository}",
        actor=info.actor,
        remote_url=info.remote_url,
        repository_key=info.identity.key,
        repository_url=info.identity.url,
    )


def _load_payload(path: Path | None) -> dict[str, Any] | None:
    if path is None:
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:  # ValueError: bad JSON, or not UTF-8
        raise UsageError(f"--payload {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise UsageError(f"--payload {path}: expected a JSON object")
    return data


def run(
    *,
    workflows: Annotated[
        Path, typer.Option("-W", "--workflows", help="Workflow file or folder.")
    ] = Path(".github/workflows"),
    event: Annotated[str | None, typer.Option("--event", help="Event name.")] = None,
    payload: Annotated[Path | None, typer.Option("--payload", help="Event payload JSON.")] = None,
    job: Annotated[list[str] | None, typer.Option("--job", help="Run only this job.")] = None,
    input_: Annotated[list[str] | None, typer.Option("--input", help="K=V input.")] = None,
    secret: Annotated[list[str] | None, typer.Option("--secret", help="K=V secret.")] = None,
    secret_file: Annotated[Path | None, typer.Option("--secret-file", help="dotenv.")] = None,
    var: Annotated[list[str] | None, typer.Option("--var", help="K=V variable.")] = None,
    env: Annotated[list[str] | None, typer.Option("--env", help="K=V env var.")] = None,
    platform: Annotated[
        list[str] | None, typer.Option("--platform", help="LABEL=local|skip.")
    ] = None,
    jobs: Annotated[int, typer.Option("--jobs", min=0, help="Parallel jobs (default: CPUs).")] = 0,
    checkout: Annotated[str, typer.Option("--checkout", help="copy or worktree.")] = "copy",
    state_dir: Annotated[Path | None, typer.Option("--state-dir", help="State dir.")] = None,
    executor: Annotated[
        str | None,
        typer.Option(
            "--executor",
            help="Where jobs execute: local (threads of this process) or process (a child "
            "process per job). Default: $CONVEYOR_EXECUTOR, else local.",
        ),
    ] = None,
    no_wait: Annotated[
        bool,
        typer.Option(
            "--no-wait",
            help="A job that must wait for an approval or a wait timer parks the run "
            "instead: exit 0; continue it later with conveyor resume RUN.",
        ),
    ] = False,
) -> None:
    """Run the workflows an event triggers, locally."""
    executor_name(executor)
    if checkout not in ("copy", "worktree"):
        raise UsageError("--checkout must be 'copy' or 'worktree'")
    inputs = parse_pairs(input_ or [], "--input")
    event_name = event or ("workflow_dispatch" if inputs else "push")
    repo = _repo_facts(Path.cwd())
    target = workflows if workflows.is_absolute() else Path.cwd() / workflows
    loaded = [load_workflow(p) for p in discover_workflows(str(target))]
    options = RunOptions(
        repo=repo,
        state_dir=(state_dir or default_state_dir(repo.root)).resolve(),
        event=event_name,
        inputs=inputs,
        secrets=collect_secrets(secret or [], secret_file),
        vars=parse_pairs(var or [], "--var"),
        env=parse_pairs(env or [], "--env"),
        platforms=parse_platforms(platform or []),
        job_filter=tuple(job or ()),
        max_jobs=jobs or os.cpu_count() or 2,
        checkout_mode=checkout,
        wait=not no_wait,
    )
    # the payload `conveyor trigger EVENT` builds (one builder: conveyor.planner.payloads)
    built = event_from_repo(
        repo_info(repo.root), event_name, payload=_load_payload(payload) or None, inputs=inputs
    )
    event_payload, changed = built.payload, built.changed_files
    options = replace(options, payload=event_payload)
    plan = plan_workflows(
        loaded, event=event_name, payload=event_payload, inputs=inputs, changed_files=changed
    )
    by_path = {str(item.path): item for item in loaded}
    if event_name in INPUT_EVENTS:
        # Same checks as `conveyor trigger workflow_dispatch` (types, choices, required), before
        # any run is recorded; a built dispatch payload then carries every input, defaults
        # included, as strings, as on GitHub.
        event_inputs: dict[str, str] = {}
        for fired in plan.firing():
            declared = declared_inputs_of(by_path[fired.path], event_name)
            event_inputs.update(resolve_inputs(declared, inputs).strings)
        if payload is None and event_name == "workflow_dispatch":
            event_payload["inputs"] = event_inputs
            if len(plan.firing()) == 1:
                event_payload["workflow"] = relative(plan.firing()[0].path, repo.root)
            options = replace(options, payload=event_payload)
    plans = plan.firing()
    if job:
        known = {j.id for w in plans for j in w.jobs}
        unknown = [j for j in job if j not in known]
        if unknown:
            raise UsageError(f"--job {', '.join(unknown)}: no such job in the triggered workflows")
        plans = [w for w in plans if any(j.id in job for j in w.jobs)]
    if not plans:
        typer.echo(f"no workflow is triggered by '{event_name}'")
        return
    _execute(plans, options, executor)


def job_exec() -> None:
    """Execute one job request read on stdin (used by --executor process)."""
    from conveyor.executors.child import exit_now
    from conveyor.executors.child import main as job_main

    exit_now(job_main())


def _execute(plans: list[WorkflowPlan], options: RunOptions, executor: str | None = None) -> None:
    reports: list[RunReport] = []
    with interruptible() as interrupt:  # Ctrl-C/SIGTERM -> cancel; orphan guard; sweep
        reports = run_plans(plans, options, interrupt, plain=None, executor=executor)
    _verdict(reports, interrupt.is_set())


def resume(
    run_id: Annotated[int, typer.Argument(metavar="RUN", help="The run to continue.")],
    *,
    secret: Annotated[list[str] | None, typer.Option("--secret", help="K=V secret.")] = None,
    secret_file: Annotated[Path | None, typer.Option("--secret-file", help="dotenv.")] = None,
    state_dir: Annotated[Path | None, typer.Option("--state-dir", help="State dir.")] = None,
    executor: Annotated[
        str | None,
        typer.Option("--executor", help="local or process (default: $CONVEYOR_EXECUTOR)."),
    ] = None,
    no_wait: Annotated[
        bool, typer.Option("--no-wait", help="Park again instead of waiting for a decision.")
    ] = False,
) -> None:
    """Continue a run whose conveyor process died (crash, kill -9, a lost machine), or a
    run parked waiting for approvals (run --no-wait) once they are decided.

    Jobs it finished are kept as they ended; jobs that were running run again; the rest
    run as they would have. Secrets are not recorded: give them again as for `run`.
    """
    executor_name(executor)
    secrets = collect_secrets(secret or [], secret_file)
    directory = (state_dir or default_state_dir(_repo_facts(Path.cwd()).root)).resolve()
    with interruptible() as interrupt:
        report = resume_run(
            run_id, secrets, directory, interrupt, executor=executor, wait=not no_wait
        )
    _verdict([report], interrupt.is_set())


def _verdict(reports: list[RunReport], interrupted: bool) -> None:
    """Exit as the runs ended: 130 interrupted, 1 a run failed or was cancelled; 0 for a
    run parked waiting for a decision (it says how to continue)."""
    if interrupted:
        raise Interrupted("interrupted: the run was cancelled")
    for report in reports:
        if report.conclusion is Conclusion.WAITING:
            typer.echo(
                f"run {report.run_id} ({report.workflow}) waits for a decision: see conveyor "
                f"pending; once decided, conveyor resume {report.run_id}"
            )
    failed = [r for r in reports if r.conclusion is Conclusion.FAILURE]
    if failed:
        names = ", ".join(f"{r.workflow} (run {r.run_id})" for r in failed)
        raise RunFailed(f"failed: {names}")
    if any(r.conclusion is Conclusion.CANCELLED for r in reports):
        raise RunFailed("cancelled: " + ", ".join(r.workflow for r in reports))
