"""`conveyor pending`, `conveyor approve`, `conveyor reject`: decisions on jobs of protected
environments that wait (see ``[environments.<name>]`` in conveyor.toml)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from conveyor.cli.remote import ServerOption
from conveyor.cli.scope import AllOption, read_scope
from conveyor.errors import UserError

if TYPE_CHECKING:
    from conveyor.store.approvals import Approval

StateDir = Annotated[Path | None, typer.Option("--state-dir", help="State directory.")]
EnvOption = Annotated[str, typer.Option("--env", help="The environment to decide for.")]
CommentOption = Annotated[str, typer.Option("--comment", help="Why (recorded).")]
AsOption = Annotated[
    str | None,
    typer.Option("--as", help="Who decides (default: git config user.name, else $USER)."),
]


def register(app: typer.Typer) -> None:
    app.command("pending")(pending)
    app.command("approve")(approve)
    app.command("reject")(reject)


def pending(
    every: AllOption = False,
    json_output: Annotated[bool, typer.Option("--json", help="As JSON.")] = False,
    state_dir: StateDir = None,
    server: ServerOption = None,
) -> None:
    """List the jobs waiting for an approval (this repository's runs; --all: every one)."""
    from conveyor.store import approvals
    from conveyor.store.database import StateDatabase

    if server:
        waiting = _remote_pending(server)
    else:
        with StateDatabase(state_dir) as db:
            scope = read_scope(db, every)
            waiting = [] if scope.unknown else approvals.pending(db.engine, scope.repository_id)
    if json_output:
        rows = [
            {
                "run": a.run_id,
                "job": a.job_key,
                "environment": a.environment,
                "reviewers": list(a.reviewers),
                "requested_by": a.requested_by,
                "requested_at": a.requested_at,
            }
            for a in waiting
        ]
        typer.echo(json.dumps(rows, indent=2))
        return
    if not waiting:
        typer.echo("nothing waits for an approval")
        return
    for a in waiting:
        since = time.strftime("%Y-%m-%d %H:%M", time.gmtime(a.requested_at))
        typer.echo(
            f"run {a.run_id}  {a.job_key}  environment {a.environment}  since {since} UTC  "
            f"reviewers: {', '.join(a.reviewers)}  ->  conveyor approve {a.run_id} "
            f"--env {a.environment}"
        )


def approve(
    run: Annotated[int, typer.Argument(help="The run whose job waits.")],
    *,
    env: EnvOption,
    comment: CommentOption = "",
    who: AsOption = None,
    state_dir: StateDir = None,
    server: ServerOption = None,
) -> None:
    """Approve the run's jobs waiting for the environment (any one reviewer approves).

    With --server: as the user of the token in $CONVEYOR_TOKEN (a reviewer token)."""
    if server:
        _remote_decide(server, run, env, approved=True, comment=comment, who=who)
        return
    _decide(run, env, approved=True, comment=comment, who=who, state_dir=state_dir)


def reject(
    run: Annotated[int, typer.Argument(help="The run whose job waits.")],
    *,
    env: EnvOption,
    comment: CommentOption = "",
    who: AsOption = None,
    state_dir: StateDir = None,
    server: ServerOption = None,
) -> None:
    """Reject the run's jobs waiting for the environment: they fail, naming who and why.

    With --server: as the user of the token in $CONVEYOR_TOKEN (a reviewer token)."""
    if server:
        _remote_decide(server, run, env, approved=False, comment=comment, who=who)
        return
    _decide(run, env, approved=False, comment=comment, who=who, state_dir=state_dir)


def _identity(given: str | None) -> str:
    from conveyor.git.ancestry import identity_of_user

    found = given or identity_of_user(Path.cwd()) or os.environ.get("USER", "")
    if not found:
        raise UserError("who decides? pass --as NAME (or set git config user.name)")
    return found


def _decide(
    run: int, env: str, *, approved: bool, comment: str, who: str | None, state_dir: Path | None
) -> None:
    from conveyor.delivery.approvals import decide
    from conveyor.store.database import StateDatabase
    from conveyor.tiers.configfile import load_config

    name = _identity(who)
    config = load_config().config
    with StateDatabase(state_dir) as db:
        count = decide(
            db.engine,
            db.writer,
            run,
            env,
            approved=approved,
            by=name,
            comment=comment,
            environments=config.environments,
        )
    verb = "approved" if approved else "rejected"
    jobs = "job" if count == 1 else "jobs"
    typer.echo(f"{verb} {count} {jobs} of run {run} for {env} (as {name})")


def _remote_pending(server: str) -> list[Approval]:
    from conveyor.cli.remote import Remote
    from conveyor.store.approvals import WAITING, Approval

    with Remote(server) as remote:
        found = remote.get("/api/approvals")
    return [
        Approval(
            0, int(a["run_id"]), a["job"], a["environment"], WAITING, tuple(a["reviewers"]),
            a["requested_by"], float(a["requested_at"]), a["wait_until"], None, None, "",
        )
        for a in found
    ]  # fmt: skip


def _remote_decide(
    server: str, run: int, env: str, *, approved: bool, comment: str, who: str | None
) -> None:
    from urllib.parse import quote

    from conveyor.cli.remote import Remote

    with Remote(server) as remote:
        verb = "approve" if approved else "reject"
        answer = remote.post(
            f"/api/approvals/{run}/{quote(env, safe='')}/{verb}", {"comment": comment}
        )
    name = str(answer["by"])
    if who and who != name:
        typer.echo(f"note: the server decides as the token's user {name}, not {who}", err=True)
    count = int(answer["jobs"])
    jobs = "job" if count == 1 else "jobs"
    typer.echo(f"{answer['decision']} {count} {jobs} of run {run} for {env} (as {name})")
