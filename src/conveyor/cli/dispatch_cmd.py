"""`conveyor dispatch WORKFLOW --repo NAME`: a ``workflow_dispatch`` run on a server.

The server (``--server`` / ``$CONVEYOR_SERVER``, token ``$CONVEYOR_TOKEN`` with the
write scope) checks the inputs against the workflow's ``on.workflow_dispatch.inputs``
and queues the run. Locally, ``conveyor trigger workflow_dispatch`` does the same.
"""

from __future__ import annotations

from typing import Annotated

import typer

from conveyor.cli.remote import ServerOption
from conveyor.errors import UsageError


def register(app: typer.Typer) -> None:
    app.command("dispatch")(dispatch)


def dispatch(
    workflow: Annotated[str, typer.Argument(help="Workflow file or name.")],
    *,
    repo: Annotated[str, typer.Option("--repo", help="The repository, as the server names it.")],
    ref: Annotated[str, typer.Option("--ref", help="Branch, tag or commit.")] = "",
    input_: Annotated[list[str] | None, typer.Option("--input", help="K=V input.")] = None,
    server: ServerOption = None,
) -> None:
    """Start a workflow_dispatch run of a workflow on a conveyor server, with inputs."""
    from urllib.parse import quote

    from conveyor.cli.plan_cmd import parse_inputs
    from conveyor.cli.remote import Remote

    if not server:
        raise UsageError(
            "dispatch asks a server: pass --server URL (or set CONVEYOR_SERVER); to run "
            f"here, use `conveyor trigger workflow_dispatch -W {workflow} --input K=V`"
        )
    inputs = parse_inputs(input_ or [])
    with Remote(server) as remote:
        answer = remote.post(
            f"/api/repos/{quote(repo, safe='')}/dispatch",
            {"workflow": workflow, "ref": ref, "inputs": inputs},
        )
    ids = [str(i) for i in answer.get("run_ids") or []]
    runs = f": run {', '.join(ids)}" if ids else ""
    typer.echo(f"dispatched {workflow} on {repo}{' at ' + ref if ref else ''}{runs}")
