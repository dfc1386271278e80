"""`conveyor tokens create|list|revoke`: the API's tokens (``conveyor serve``).

A token is printed once, when it is made; the database keeps only its SHA-256. Scopes:
``read`` (runs, logs, results), ``write`` (also dispatch, cancel, re-run, quarantine),
``reviewer`` (also approvals and rollbacks, as the token's user).
"""

from __future__ import annotations

import json
import time
from typing import Annotated

import typer

from conveyor.cli.options import StateDirOption

tokens_app = typer.Typer(
    name="tokens",
    help="The API's tokens: create (printed once), list, revoke.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


def register(app: typer.Typer) -> None:
    app.add_typer(tokens_app, name="tokens")


@tokens_app.command("create")
def create(
    user: Annotated[str, typer.Option("--user", help="Whom the API acts as (a reviewer).")],
    scope: Annotated[str, typer.Option("--scope", help="read, write or reviewer.")] = "read",
    note: Annotated[str, typer.Option("--note", help="What it is for.")] = "",
    state_dir: StateDirOption = None,
) -> None:
    """Make a token and print it (once: only its hash is kept)."""
    from conveyor.store.database import StateDatabase
    from conveyor.store.tokens import check_scope, create

    check_scope(scope)
    with StateDatabase(state_dir) as db:
        made, token = create(db.writer, user, scope, note)
    typer.echo(token)
    typer.echo(
        f"token #{made.id} for {made.user} ({made.scope}); it is shown only now: keep it "
        "in a secret store (CONVEYOR_TOKEN for `conveyor --server`)",
        err=True,
    )


@tokens_app.command("list")
def list_(
    every: Annotated[bool, typer.Option("--all", help="Revoked ones too.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="As JSON.")] = False,
    state_dir: StateDirOption = None,
) -> None:
    """List the tokens: id, prefix, user, scope, made, last used (never the token)."""
    from dataclasses import asdict

    from conveyor.cli.tables import table
    from conveyor.store.database import StateDatabase
    from conveyor.store.tokens import listing

    with StateDatabase(state_dir) as db:
        found = listing(db.engine, revoked=every)
    if as_json:
        typer.echo(json.dumps([asdict(t) for t in found], indent=2))
        return
    if not found:
        typer.echo("no tokens (make one with `conveyor tokens create --user NAME --scope read`)")
        return
    table(
        ("id", "prefix", "user", "scope", "created", "last used", "revoked", "note"),
        [
            (str(t.id), t.prefix + "…", t.user, t.scope, _day(t.created_at),
             _day(t.last_used_at), _day(t.revoked_at), t.note)
            for t in found
        ],
    )  # fmt: skip


@tokens_app.command("revoke")
def revoke(
    token: Annotated[str, typer.Argument(help="The token's id or its cvy_ prefix.")],
    state_dir: StateDirOption = None,
) -> None:
    """Revoke a token: it stops working at once."""
    from conveyor.store.database import StateDatabase
    from conveyor.store.tokens import revoke as revoke_token

    with StateDatabase(state_dir) as db:
        gone = revoke_token(db.writer, token)
    typer.echo(f"revoked token #{gone.id} ({gone.prefix}…, {gone.user}, {gone.scope})")


def _day(at: float | None) -> str:
    return "-" if at is None else time.strftime("%Y-%m-%d %H:%M", time.localtime(at))
