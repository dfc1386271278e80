"""`conveyor list [-W FILE|DIR] [--event NAME]`: the workflows and their jobs (as ``act -l``).

Without ``--event`` every workflow is listed with the events it is triggered by; with it,
only the workflows that event fires (the same decision ``conveyor plan`` and ``run`` make,
filters included).
"""

from __future__ import annotations

from typing import Annotated

import typer


def list_workflows(
    workflows: Annotated[
        str | None,
        typer.Option(
            "-W", "--workflows", help="Workflow file or folder (default: the repository's)."
        ),
    ] = None,
    event: Annotated[
        str | None, typer.Option("--event", help="Only the workflows this event fires.")
    ] = None,
) -> None:
    """List the workflows (those an event fires, with --event) and their jobs."""
    raise NotImplementedError


def register(app: typer.Typer) -> None:
    """Add the command to the app."""
    app.command("list")(list_workflows)
