"""`conveyor trigger`: simulate a GitHub event from the local repository and run what fires.

``conveyor trigger push [--ref REF] [--before SHA] [--after SHA]``,
``conveyor trigger pull_request [--base B] [--head REF] [--type T] [--label L]...``,
``conveyor trigger tag NAME`` and ``conveyor trigger workflow_dispatch -W FILE --input K=V``.
Each builds the payload GitHub would send, computes the changed files from git, prints
for every workflow whether it fires and why not, then runs the firing ones through the
same engine wiring as ``conveyor run`` (``--dry-run`` only prints).
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import typer

from conveyor.cli import run_cmd
from conveyor.cli.plan_cmd import parse_inputs
from conveyor.engine.runstate import RunOptions
from conveyor.errors import UserError, WorkflowInvalid
from conveyor.git import RepoInfo, repo_info
from conveyor.planner import plan_workflows
from conveyor.planner.payloads import ZERO_SHA, dispatch_payload
from conveyor.planner.plan import Plan
from conveyor.store import default_state_dir
from conveyor.triggers.payloads import payload_repo
from conveyor.triggers.resolve import (
    TriggerEvent,
    branch_ref,
    pull_request_event,
    push_event,
    tag_event,
)
from conveyor.triggers.scheduled import relative
from conveyor.workflow import LoadedWorkflow, discover_workflows, is_action_file, load_workflow
from conveyor.workflow.inputs import validate_dispatch_inputs
from conveyor.workflow.validate import default_workflows_path

trigger_app = typer.Typer(
    name="trigger",
    help="Simulate a GitHub event (push, pull_request, tag, workflow_dispatch) and run it.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

WorkflowsOpt = Annotated[
    Path | None,
    typer.Option(
        "-W",
        "--workflows",
        help="Workflow file or folder (default: the repository's .github/workflows).",
    ),
]
DryRunOpt = Annotated[bool, typer.Option("--dry-run", help="Only print what would fire.")]
StateOpt = Annotated[Path | None, typer.Option("--state-dir", help="State dir.")]
JobsOpt = Annotated[int, typer.Option("--jobs", min=0, help="Parallel jobs (default: CPUs).")]
NoWaitOpt = Annotated[
    bool,
    typer.Option(
        "--no-wait",
        help="A job waiting for an approval parks the run (exit 0): conveyor resume RUN later.",
    ),
]
_SHOW_FILES = 10


def _load(target: Path | None) -> list[LoadedWorkflow]:
    target = target or Path(default_workflows_path())
    path = target if target.is_absolute() else Path.cwd() / target
    loaded = [load_workflow(f) for f in discover_workflows(str(path)) if not is_action_file(f)]
    errors = [d for item in loaded for d in item.diagnostics if d.is_error]
    if errors:
        raise WorkflowInvalid(errors)
    return loaded


def _report(event: TriggerEvent, plan: Plan) -> None:
    typer.echo(f"event: {event.name} {event.ref} ({event.sha[:12]})")
    if event.changed_files is not None:
        files = event.changed_files
        more = f", ... (+{len(files) - _SHOW_FILES})" if len(files) > _SHOW_FILES else ""
        typer.echo(f"changed files ({len(files)}): {', '.join(files[:_SHOW_FILES])}{more}")
    for wf in plan.workflows:
        where = wf.path  # repository-relative
        if wf.fires:
            note = f" ({wf.reason})" if wf.reason else ""
            typer.echo(f"  fires  {where}{note}")
        else:
            typer.echo(f"  skip   {where}: {wf.reason}")


def _fire(
    info: RepoInfo,
    event: TriggerEvent,
    loaded: list[LoadedWorkflow],
    *,
    inputs: dict[str, Any] | None = None,
    run_inputs: dict[str, str] | None = None,
    dry_run: bool,
    state_dir: Path | None,
    jobs: int,
    no_wait: bool = False,
) -> None:
    plan = plan_workflows(
        loaded,
        event=event.name,
        payload=event.payload,
        inputs=inputs,
        changed_files=event.changed_files,
    )
    _report(event, plan)
    firing = plan.firing()
    if dry_run:
        return
    if not firing:
        typer.echo(f"no workflow is triggered by '{event.name}'")
        return
    facts = run_cmd._repo_facts(info)
    ref_name = event.ref.split("/", 2)[-1]
    branch = ref_name if event.ref.startswith("refs/heads/") else facts.branch
    repo = replace(facts, sha=event.sha, ref=event.ref, ref_name=ref_name, branch=branch)
    options = RunOptions(
        repo=repo,
        state_dir=(state_dir or default_state_dir(repo.root)).resolve(),
        event=event.name,
        payload=event.payload,
        inputs=run_inputs or {},
        max_jobs=jobs or os.cpu_count() or 2,
        wait=not no_wait,
    )
    run_cmd._execute(firing, options)


@trigger_app.command("push")
def push(
    *,
    ref: Annotated[str | None, typer.Option("--ref", help="Branch (default: current).")] = None,
    before: Annotated[str | None, typer.Option("--before", help="Default: AFTER~1.")] = None,
    after: Annotated[str | None, typer.Option("--after", help="Default: the ref's head.")] = None,
    workflows: WorkflowsOpt = None,
    dry_run: DryRunOpt = False,
    state_dir: StateOpt = None,
    jobs: JobsOpt = 0,
    no_wait: NoWaitOpt = False,
) -> None:
    """A push to a branch; path filters see the files changed in BEFORE..AFTER."""
    info = repo_info(Path.cwd())
    event = push_event(info, ref=ref, before=before, after=after)
    _fire(
        info,
        event,
        _load(workflows),
        dry_run=dry_run,
        state_dir=state_dir,
        jobs=jobs,
        no_wait=no_wait,
    )


@trigger_app.command("tag")
def tag(
    name: Annotated[str, typer.Argument(help="Tag name, e.g. v-line-1.2.3.")],
    *,
    workflows: WorkflowsOpt = None,
    dry_run: DryRunOpt = False,
    state_dir: StateOpt = None,
    jobs: JobsOpt = 0,
    no_wait: NoWaitOpt = False,
) -> None:
    """A tag push (refs/tags/NAME)."""
    info = repo_info(Path.cwd())
    event = tag_event(info, name)
    _fire(
        info,
        event,
        _load(workflows),
        dry_run=dry_run,
        state_dir=state_dir,
        jobs=jobs,
        no_wait=no_wait,
    )


@trigger_app.command("pull_request")
def pull_request(
    *,
    base: Annotated[str | None, typer.Option("--base", help="Default: default branch.")] = None,
    head: Annotated[str | None, typer.Option("--head", help="Default: current branch.")] = None,
    type_: Annotated[
        str | None,
        typer.Option("--type", help="Activity type (default: labeled with --label, else opened)."),
    ] = None,
    label: Annotated[
        list[str] | None, typer.Option("--label", help="PR label (the last one is the added one).")
    ] = None,
    number: Annotated[int, typer.Option("--number", min=1, help="PR number.")] = 1,
    title: Annotated[str, typer.Option("--title", help="PR title.")] = "",
    workflows: WorkflowsOpt = None,
    dry_run: DryRunOpt = False,
    state_dir: StateOpt = None,
    jobs: JobsOpt = 0,
    no_wait: NoWaitOpt = False,
) -> None:
    """A pull request event; path filters see the files changed since the merge base."""
    info = repo_info(Path.cwd())
    event = pull_request_event(
        info,
        base=base,
        head=head,
        action=type_ or ("labeled" if label else "opened"),
        labels=label or [],
        number=number,
        title=title,
    )
    _fire(
        info,
        event,
        _load(workflows),
        dry_run=dry_run,
        state_dir=state_dir,
        jobs=jobs,
        no_wait=no_wait,
    )


@trigger_app.command("workflow_dispatch")
def workflow_dispatch(
    *,
    workflows: Annotated[Path, typer.Option("-W", "--workflows", help="The workflow file.")],
    input_: Annotated[list[str] | None, typer.Option("--input", help="K=V input.")] = None,
    ref: Annotated[str | None, typer.Option("--ref", help="Default: current branch.")] = None,
    dry_run: DryRunOpt = False,
    state_dir: StateOpt = None,
    jobs: JobsOpt = 0,
    no_wait: NoWaitOpt = False,
) -> None:
    """A manual run of one workflow with typed inputs."""
    loaded = _load(workflows)
    if len(loaded) != 1:
        raise UserError(f"-W {workflows}: give one workflow file ({len(loaded)} found)")
    item = loaded[0]
    model = item.require()
    if "workflow_dispatch" not in model.events():
        raise UserError(f"{item.path}: the workflow has no 'workflow_dispatch' trigger")
    checked = validate_dispatch_inputs(item, parse_inputs(input_ or []))
    info = repo_info(Path.cwd())
    full_ref = branch_ref(ref) if ref else (info.ref or "refs/heads/main")
    payload = dispatch_payload(
        payload_repo(info),
        ref=full_ref,
        inputs=checked.strings,
        workflow=relative(item.path, info.root),
    )
    event = TriggerEvent("workflow_dispatch", payload, full_ref, info.sha or ZERO_SHA, None)
    _fire(
        info,
        event,
        loaded,
        inputs=checked.typed,
        run_inputs=checked.strings,
        dry_run=dry_run,
        state_dir=state_dir,
        jobs=jobs,
        no_wait=no_wait,
    )


def register(app: typer.Typer) -> None:
    """Add ``conveyor trigger ...`` to the app."""
    if any(group.name == "trigger" for group in app.registered_groups):
        return
    app.add_typer(trigger_app, name="trigger")
