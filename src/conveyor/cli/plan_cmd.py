"""`conveyor plan`: which workflows an event fires, and their jobs, matrices and runners.

``conveyor plan [-W FILE|DIR] [--event NAME] [--payload FILE.json] [--input K=V]...
[--format text|json]``. Invalid workflows print their diagnostics and exit 2; a bad
payload file or ``--input`` is a usage error (exit 2).
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from conveyor.cli.run_cmd import check_event
from conveyor.diagnostics import Diagnostic
from conveyor.errors import UsageError, UserError, WorkflowInvalid
from conveyor.git import repo_info
from conveyor.planner import format_plan, plan_workflows
from conveyor.triggers.resolve import event_from_repo
from conveyor.workflow import (
    DEFAULT_PATH,
    LoadedWorkflow,
    discover_workflows,
    is_action_file,
    load_workflow,
)
from conveyor.workflow.validate import default_workflows_path


class OutputFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


def read_payload(path: str) -> dict[str, Any]:
    """The event payload from a JSON file; a :class:`UserError` naming the file if bad."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise UserError(f"cannot read payload file {path}: {exc.strerror or exc}") from exc
    try:
        data = json.loads(raw)  # UTF-8, or UTF-16/32 as JSON allows
    except json.JSONDecodeError as exc:
        raise UserError(
            f"payload file {path}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}"
        ) from exc
    except UnicodeDecodeError as exc:
        raise UserError(
            f"payload file {path}:1:1: not UTF-8 text (byte {exc.start}: {exc.reason})"
        ) from exc
    if not isinstance(data, dict):
        raise UserError(f"payload file {path}: must hold a JSON object, not {type(data).__name__}")
    return data


def parse_inputs(items: list[str]) -> dict[str, str]:
    """``K=V`` pairs to a mapping; a :class:`UsageError` for an item without ``=``."""
    inputs: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--input expects KEY=VALUE, got {item!r}")
        inputs[key.strip()] = value
    return inputs


def _fail(diagnostics: list[Diagnostic]) -> UserError:
    """Print the diagnostics; the error to raise (exit 2) names how many there were."""
    for diagnostic in diagnostics:
        typer.echo(diagnostic.format(), err=True)
    errors = sum(1 for d in diagnostics if d.is_error)
    return UserError(f"cannot plan: {errors} error(s) in the workflows")


def load_all(path: str) -> list[LoadedWorkflow]:
    """Load every workflow file at ``path`` (a file or a folder; action files skipped)."""
    return [load_workflow(f) for f in discover_workflows(path) if not is_action_file(f)]


def _event_from_repo(
    event: str, given: dict[str, Any] | None, inputs: dict[str, Any]
) -> tuple[dict[str, Any], list[str] | None]:
    """The payload (given, or what `conveyor trigger` would build here) and its changed files."""
    built = event_from_repo(repo_info(Path.cwd()), event, payload=given, inputs=inputs)
    return built.payload, built.changed_files


def plan(
    workflows: Annotated[
        str | None,
        typer.Option(
            "-W",
            "--workflows",
            help=f"Workflow file or folder (default: the repository's {DEFAULT_PATH}).",
        ),
    ] = None,
    event: Annotated[str, typer.Option("--event", help="Event name.")] = "push",
    payload: Annotated[
        str | None, typer.Option("--payload", help="Event payload JSON file.")
    ] = None,
    inputs: Annotated[
        list[str] | None, typer.Option("--input", help="Input KEY=VALUE (repeatable).")
    ] = None,
    output: Annotated[
        OutputFormat, typer.Option("--format", help="Output format: text or json.")
    ] = OutputFormat.TEXT,
) -> None:
    """Show which workflows an event fires, with jobs in order, matrices and runners."""
    given = parse_inputs(inputs or [])
    data = read_payload(payload) if payload is not None else None
    check_event(event)
    loaded = load_all(workflows or default_workflows_path())
    errors = [d for item in loaded for d in item.diagnostics if d.is_error]
    if errors:
        raise _fail(errors)
    try:
        # Path filters are decided from git, exactly as `conveyor run` and `trigger` do.
        payload_data, changed = _event_from_repo(event, data, given)
        result = plan_workflows(
            loaded, event=event, payload=payload_data, inputs=given, changed_files=changed
        )
    except WorkflowInvalid as exc:
        raise _fail(exc.diagnostics) from exc
    if output is OutputFormat.JSON:
        typer.echo(json.dumps(result.to_json(), indent=2))
    else:
        typer.echo(format_plan(result))


def register(app: typer.Typer) -> None:
    """Add the command to the app."""
    app.command("plan")(plan)
