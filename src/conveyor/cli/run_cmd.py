"""`conveyor run`: plan the workflows an event triggers and run them locally.

Wires the concrete step runner, action provider, store and console into
:func:`conveyor.engine.run.run_workflows` under :func:`conveyor.runners.interrupts.interruptible`
(SIGINT/SIGTERM cancel, every step process group is swept, exit 130; an orphan guard for
``kill -9``), the same wiring ``conveyor test`` uses.

What act users expect works the same way: ``--matrix KEY:VALUE``, ``--job`` with a matrix
job's display name, ``.secrets``/``.env``/``.vars`` read from the repository root when
present, ``--dry-run`` (``-n``), and dispatch inputs from ``--payload``'s ``inputs``.

Modules are imported inside the commands, so ``conveyor run`` pays only for what it uses.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from conveyor.engine.run import RunReport
    from conveyor.engine.runstate import RunOptions
    from conveyor.git import RepoInfo
    from conveyor.planner.github import RepoFacts
    from conveyor.planner.plan import WorkflowPlan


def register(app: typer.Typer) -> None:
    if any(info.name == "run" for info in app.registered_commands):
        return
    app.command("run")(run)
    app.command("resume")(resume)
    app.command("job-exec", hidden=True)(job_exec)


def _repo_facts(info: RepoInfo) -> RepoFacts:
    from conveyor.planner.github import RepoFacts

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
    from conveyor.errors import UsageError

    if path is None:
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:  # ValueError: bad JSON, or not UTF-8
        raise UsageError(f"--payload {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise UsageError(f"--payload {path}: expected a JSON object")
    return data


def check_event(name: str, option: str = "--event") -> None:
    """An event name GitHub sends, else a usage error (exit 2) listing them."""
    from conveyor.errors import UsageError
    from conveyor.workflow.model import EVENT_NAMES

    if name not in EVENT_NAMES:
        from difflib import get_close_matches

        close = get_close_matches(name, sorted(EVENT_NAMES), n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise UsageError(
            f"{option} {name}: not an event GitHub sends{hint}; one of: "
            + ", ".join(sorted(EVENT_NAMES))
        )


def _payload_inputs(payload: dict[str, Any] | None) -> dict[str, str]:
    """A dispatch payload's ``inputs`` (as strings, as GitHub sends them)."""
    from conveyor.expressions.values import to_string

    given = payload.get("inputs") if payload else None
    if not isinstance(given, dict):
        return {}
    return {str(k): str(to_string(v)) for k, v in given.items()}


def _dotenv_values(given: Path | None, option: str, root: Path) -> dict[str, str]:
    from conveyor.engine.secrets import dotenv_file, read_dotenv

    path = dotenv_file(given, option, root)
    return read_dotenv(path, option) if path is not None else {}


def _check_jobs(plans: list[WorkflowPlan], wanted: list[str]) -> list[WorkflowPlan]:
    """The plans that hold a wanted job (an id, or a matrix job's display name); refuses a
    name that matches no job, or no combination of a job whose matrix is known."""
    from conveyor.errors import UsageError
    from conveyor.planner.graph import job_id_of
    from conveyor.planner.selection import matrix_key

    by_id = {j.id: j for w in plans for j in w.jobs}
    names: list[str] = []
    for job in by_id.values():
        names.append(job.id)
        if job.matrix and not job.dynamic_matrix:
            names.extend(matrix_key(job.id, combo) for combo in job.matrix if combo)
    unknown = []
    for name in wanted:
        job_id = job_id_of(name, by_id)
        found = by_id[job_id] if job_id else None
        if found is None or (name != found.id and not found.dynamic_matrix and name not in names):
            unknown.append(name)
    if unknown:
        raise UsageError(
            f"--job {', '.join(unknown)}: no such job in the triggered workflows; jobs: "
            + ", ".join(names)
        )
    return [w for w in plans if any(job_id_of(n, [j.id for j in w.jobs]) for n in wanted)]


def _check_matrix(
    plans: list[WorkflowPlan], wanted: dict[str, tuple[str, ...]], jobs: list[str]
) -> None:
    """Every ``--matrix`` key is a key of a matrix of the jobs that will run."""
    from conveyor.errors import UsageError
    from conveyor.planner.graph import select_jobs

    keys: dict[str, str] = {}
    dynamic = False
    for plan in plans:
        chosen = set(select_jobs(plan.graph, jobs))
        for job in plan.jobs:
            if job.id in chosen:
                dynamic = dynamic or job.dynamic_matrix
                keys.update((k.lower(), k) for combo in job.matrix or [] for k in combo)
    unknown = [k for k in wanted if k.lower() not in keys]
    if unknown and not dynamic:
        known = ", ".join(dict.fromkeys(keys.values())) or "none (no job has a matrix)"
        raise UsageError(
            f"--matrix {', '.join(unknown)}: no matrix of the jobs to run has this key; "
            f"keys: {known}"
        )


def run(
    *,
    workflows: Annotated[
        Path | None,
        typer.Option(
            "-W",
            "--workflows",
            help="Workflow file or folder (default: the repository's .github/workflows).",
        ),
    ] = None,
    event: Annotated[str | None, typer.Option("--event", help="Event name.")] = None,
    payload: Annotated[Path | None, typer.Option("--payload", help="Event payload JSON.")] = None,
    job: Annotated[
        list[str] | None,
        typer.Option("--job", "-j", help="Run only this job (an id, or 'id (matrix values)')."),
    ] = None,
    matrix: Annotated[
        list[str] | None,
        typer.Option(
            "--matrix",
            help="KEY:VALUE: run only the matrix combinations with this value (repeatable).",
        ),
    ] = None,
    input_: Annotated[list[str] | None, typer.Option("--input", help="K=V input.")] = None,
    secret: Annotated[list[str] | None, typer.Option("--secret", help="K=V secret.")] = None,
    secret_file: Annotated[
        Path | None, typer.Option("--secret-file", help="dotenv file (default: .secrets).")
    ] = None,
    var: Annotated[list[str] | None, typer.Option("--var", help="K=V variable.")] = None,
    var_file: Annotated[
        Path | None, typer.Option("--var-file", help="dotenv file (default: .vars).")
    ] = None,
    env: Annotated[list[str] | None, typer.Option("--env", help="K=V env var.")] = None,
    env_file: Annotated[
        Path | None, typer.Option("--env-file", help="dotenv file (default: .env).")
    ] = None,
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
            help="Where jobs execute: local (threads of this process), process (a child "
            "process per job) or celery (conveyor worker processes, by runs-on labels). "
            "Default: $CONVEYOR_EXECUTOR, else local.",
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
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run", "-n", help="Show every job and step that would run; run nothing."
        ),
    ] = False,
) -> None:
    """Run the workflows an event triggers, locally."""
    from dataclasses import replace

    from conveyor.engine.platforms import parse_platforms
    from conveyor.engine.runstate import RunOptions
    from conveyor.engine.secrets import collect_secrets, dotenv_file, parse_pairs
    from conveyor.errors import UsageError
    from conveyor.git import repo_info
    from conveyor.launch.names import executor_name
    from conveyor.planner.build import plan_workflows
    from conveyor.planner.selection import parse_matrix_filter
    from conveyor.store.paths import default_state_dir
    from conveyor.triggers.resolve import event_from_repo
    from conveyor.workflow.inputs import INPUT_EVENTS, declared_inputs_of, resolve_inputs
    from conveyor.workflow.loader import load_workflow, repository_path
    from conveyor.workflow.validate import default_workflows_path, discover_workflows

    executor_name(executor)
    if checkout not in ("copy", "worktree"):
        raise UsageError("--checkout must be 'copy' or 'worktree'")
    try:
        matrix_filter = parse_matrix_filter(matrix or [])
    except ValueError as exc:
        raise UsageError(f"--matrix expects KEY:VALUE, got {exc.args[0]!r}") from exc
    given_payload = _load_payload(payload)
    inputs = parse_pairs(input_ or [], "--input")
    event_name = event or ("workflow_dispatch" if inputs else "push")
    check_event(event_name)
    if event_name in INPUT_EVENTS:  # as on GitHub, the payload's inputs; --input wins
        inputs = {**_payload_inputs(given_payload), **inputs}
    info = repo_info(Path.cwd())
    repo = _repo_facts(info)
    target = workflows or Path(default_workflows_path())
    target = target if target.is_absolute() else Path.cwd() / target
    loaded = [load_workflow(p) for p in discover_workflows(str(target))]
    options = RunOptions(
        repo=repo,
        state_dir=(state_dir or default_state_dir(repo.root)).resolve(),
        event=event_name,
        inputs=inputs,
        secrets=collect_secrets(secret or [], dotenv_file(secret_file, "--secret-file", repo.root)),
        vars={
            **_dotenv_values(var_file, "--var-file", repo.root),
            **parse_pairs(var or [], "--var"),
        },
        env={
            **_dotenv_values(env_file, "--env-file", repo.root),
            **parse_pairs(env or [], "--env"),
        },
        platforms=parse_platforms(platform or []),
        job_filter=tuple(job or ()),
        matrix_filter=matrix_filter,
        max_jobs=jobs or os.cpu_count() or 2,
        checkout_mode=checkout,
        wait=not no_wait,
    )
    # the payload `conveyor trigger EVENT` builds (one builder: conveyor.planner.payloads)
    built = event_from_repo(info, event_name, payload=given_payload or None, inputs=inputs)
    event_payload, changed = built.payload, built.changed_files
    options = replace(options, payload=event_payload)
    plan = plan_workflows(
        loaded, event=event_name, payload=event_payload, inputs=inputs, changed_files=changed
    )
    by_file = {str(item.path): item for item in loaded}
    if event_name in INPUT_EVENTS:
        # Same checks as `conveyor trigger workflow_dispatch` (types, choices, required), before
        # any run is recorded; a built dispatch payload then carries every input, defaults
        # included, as strings, as on GitHub.
        event_inputs: dict[str, str] = {}
        for fired in plan.firing():
            declared = declared_inputs_of(by_file[fired.file], event_name)
            event_inputs.update(resolve_inputs(declared, inputs).strings)
        if given_payload is None and event_name == "workflow_dispatch":
            event_payload["inputs"] = event_inputs
            if len(plan.firing()) == 1:
                event_payload["workflow"] = repository_path(plan.firing()[0].file)
            options = replace(options, payload=event_payload)
    plans = plan.firing()
    if job:
        plans = _check_jobs(plans, job)
    if matrix_filter:
        _check_matrix(plans, matrix_filter, list(job or ()))
    if dry_run:
        _dry_run(plans, options)
        return
    if not plans:
        typer.echo(f"no workflow is triggered by '{event_name}'")
        return
    _execute(plans, options, executor)


def _dry_run(plans: list[WorkflowPlan], options: RunOptions) -> None:
    from conveyor.planner.dryrun import dry_run_lines

    if not plans:
        typer.echo(f"dry run: no workflow is triggered by '{options.event}'")
        return
    lines = dry_run_lines(
        plans,
        event=options.event,
        payload=options.payload,
        inputs=options.inputs,
        variables=options.vars,
        job_filter=options.job_filter,
        matrix_filter=options.matrix_filter,
    )
    typer.echo("\n".join(lines))


def job_exec() -> None:
    """Execute one job request read on stdin (used by --executor process)."""
    from conveyor.executors.child import exit_now
    from conveyor.executors.child import main as job_main

    exit_now(job_main())


def _execute(plans: list[WorkflowPlan], options: RunOptions, executor: str | None = None) -> None:
    from conveyor.launch.runs import run_plans
    from conveyor.runners.interrupts import interruptible

    reports: list[RunReport] = []
    with interruptible() as interrupt:  # Ctrl-C/SIGTERM -> cancel; orphan guard; sweep
        reports = run_plans(plans, options, interrupt, plain=None, executor=executor)
    _verdict(reports, interrupt.is_set())


def resume(
    run_id: Annotated[int, typer.Argument(metavar="RUN", help="The run to continue.")],
    *,
    secret: Annotated[list[str] | None, typer.Option("--secret", help="K=V secret.")] = None,
    secret_file: Annotated[
        Path | None, typer.Option("--secret-file", help="dotenv file (default: .secrets).")
    ] = None,
    state_dir: Annotated[Path | None, typer.Option("--state-dir", help="State dir.")] = None,
    executor: Annotated[
        str | None,
        typer.Option("--executor", help="local, process or celery (default: $CONVEYOR_EXECUTOR)."),
    ] = None,
    no_wait: Annotated[
        bool, typer.Option("--no-wait", help="Park again instead of waiting for a decision.")
    ] = False,
    failed: Annotated[
        bool,
        typer.Option(
            "--failed",
            help="A finished run's next attempt: its failed jobs and the jobs after them "
            "run again, the jobs that succeeded are kept (GitHub's re-run failed jobs).",
        ),
    ] = False,
) -> None:
    """Continue a run whose conveyor process died (crash, kill -9, a lost machine), or a
    run parked waiting for approvals (run --no-wait) once they are decided.

    Jobs it finished are kept as they ended; jobs that were running run again; the rest
    run as they would have. Secrets are not recorded: give them again as for `run`.
    """
    from conveyor.engine.secrets import collect_secrets, dotenv_file
    from conveyor.git import repo_info
    from conveyor.launch.names import executor_name
    from conveyor.launch.runs import resume_run
    from conveyor.runners.interrupts import interruptible
    from conveyor.store.paths import default_state_dir

    executor_name(executor)
    root = repo_info(Path.cwd()).root
    secrets = collect_secrets(secret or [], dotenv_file(secret_file, "--secret-file", root))
    directory = (state_dir or default_state_dir(root)).resolve()
    with interruptible() as interrupt:
        report = resume_run(
            run_id, secrets, directory, interrupt, executor=executor, wait=not no_wait,
            failed_again=failed,
        )  # fmt: skip
    _verdict([report], interrupt.is_set())


def _verdict(reports: list[RunReport], interrupted: bool) -> None:
    """Exit as the runs ended: 130 interrupted, 1 a run failed or was cancelled; 0 for a
    run parked waiting for a decision (it says how to continue)."""
    from conveyor.engine.status import Conclusion
    from conveyor.errors import Interrupted, RunFailed

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
