"""`conveyor validate [PATH...] [--format text|json]`: check workflow and action files.

Prints every problem as ``path:line:col: message [rule]`` (or a JSON list), then a
one-line summary on stderr. Exit 0 when there are no errors (warnings are fine),
2 when there is at least one (raised as :class:`ValidationFailed`, so stdout stays
clean JSON and the summary goes to stderr through the CLI's error handler).
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated

import typer

from conveyor.diagnostics import Diagnostic
from conveyor.errors import WorkflowInvalid
from conveyor.workflow.validate import (
    DEFAULT_PATH,
    default_workflows_path,
    discover_workflows,
    validate_paths,
)


class ValidationFailed(WorkflowInvalid):
    """Validation found errors: carries them all; its text is the one-line summary."""

    def __init__(self, diagnostics: list[Diagnostic], summary: str) -> None:
        super().__init__(diagnostics)
        self.summary = summary

    def __str__(self) -> str:
        return self.summary


class OutputFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


def validate(
    paths: Annotated[
        list[str] | None,
        typer.Argument(
            help=f"Workflow files or folders (default: the repository's {DEFAULT_PATH})."
        ),
    ] = None,
    output: Annotated[
        OutputFormat, typer.Option("--format", help="Output format: text or json.")
    ] = OutputFormat.TEXT,
) -> None:
    """Check workflow files (and action.yml files) and report every problem with its place."""
    files = [f for p in paths or [default_workflows_path()] for f in discover_workflows(p)]
    diagnostics = validate_paths(files)
    errors = sum(1 for d in diagnostics if d.is_error)
    warnings = len(diagnostics) - errors
    if output is OutputFormat.JSON:
        typer.echo(json.dumps([d.to_json() for d in diagnostics], indent=2))
    else:
        for diagnostic in diagnostics:
            typer.echo(diagnostic.format())
    noun = "file" if len(files) == 1 else "files"
    summary = f"{len(files)} {noun} checked: {errors} error(s), {warnings} warning(s)"
    if errors:
        # The CLI's one error handler prints the summary on stderr and exits 2.
        raise ValidationFailed(diagnostics, summary)
    typer.echo(summary, err=True)


def register(app: typer.Typer) -> None:
    """Add the command to the app."""
    app.command("validate")(validate)
