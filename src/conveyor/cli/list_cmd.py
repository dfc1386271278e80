"""`conveyor list [-W FILE|DIR] [--event NAME]`: the workflows and their jobs (as ``act -l``).

Without ``--event`` every workflow is listed with the events that trigger it; with it,
only the workflows that event fires (the same decision ``conveyor plan`` and ``run``
make, filters included). Jobs come in the order they run, with what they need.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def list_workflows(
    workflows: Annotated[
        str | None,
        typer.Option(
            "-W",
            "--workflows",
            help="Workflow file or folder (default: the repository's .github/workflows).",
        ),
    ] = None,
    event: Annotated[
        str | None, typer.Option("--event", help="Only the workflows this event fires.")
    ] = None,
) -> None:
    """List the workflows (those an event fires, with --event) and their jobs."""
    from conveyor.cli.plan_cmd import load_all
    from conveyor.cli.run_cmd import check_event
    from conveyor.errors import WorkflowInvalid
    from conveyor.git import repo_info
    from conveyor.planner.build import plan_workflows
    from conveyor.planner.graph import build_graph
    from conveyor.triggers.resolve import event_from_repo
    from conveyor.workflow.loader import repository_path
    from conveyor.workflow.validate import default_workflows_path

    if event is not None:
        check_event(event)
    loaded = load_all(workflows or default_workflows_path())
    errors = [d for item in loaded for d in item.diagnostics if d.is_error]
    if errors:
        raise WorkflowInvalid(errors)
    lines: list[str] = []
    if event is not None:
        built = event_from_repo(repo_info(Path.cwd()), event)
        plan = plan_workflows(
            loaded, event=event, payload=built.payload, changed_files=built.changed_files
        )
        for wf in plan.firing():
            header = wf.path if wf.name == wf.path else f"{wf.path} ({wf.name})"
            lines.append(f"{header}  on: {event}")
            for job in wf.jobs:
                lines.append(_job_line(job.id, job.name, job.needs))
        if not lines:
            lines.append(f"no workflow is triggered by '{event}'")
    else:
        for item in loaded:
            model = item.require()
            path = repository_path(str(item.path))
            name = model.name or path
            header = path if name == path else f"{path} ({name})"
            lines.append(f"{header}  on: {', '.join(model.events())}")
            order = build_graph({j: job.needs_list() for j, job in model.jobs.items()}).order
            for job_id in order:
                spec = model.jobs[job_id]
                shown = spec.name if isinstance(spec.name, str) else job_id
                lines.append(_job_line(job_id, shown, tuple(spec.needs_list())))
        if not lines:
            lines.append("no workflows found")
    typer.echo("\n".join(lines))


def _job_line(job_id: str, name: str, needs: tuple[str, ...]) -> str:
    title = job_id if name in ("", job_id) else f"{job_id} ({name})"
    return f"  {title}" + (f"  needs: {', '.join(needs)}" if needs else "")


def register(app: typer.Typer) -> None:
    """Add the command to the app."""
    app.command("list")(list_workflows)
