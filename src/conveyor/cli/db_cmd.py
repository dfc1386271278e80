"""`conveyor db upgrade` and `conveyor db current`: the history database's schema.

SQLite (and an empty PostgreSQL database) migrate themselves on first use. A PostgreSQL
database that already holds history is upgraded only by `conveyor db upgrade`, run once
by whoever runs the server, so no command migrates a shared database behind its back.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

db_app = typer.Typer(name="db", help="The history database's schema.", no_args_is_help=True)
StateDir = Annotated[
    Path | None,
    typer.Option(
        "--state-dir",
        help="State directory (default: $CONVEYOR_HOME, else .conveyor at the git root); "
        "$CONVEYOR_DATABASE_URL wins for the database.",
        file_okay=False,
    ),
]


@db_app.command("upgrade")
def upgrade(state_dir: StateDir = None) -> None:
    """Migrate the database to this conveyor's schema (back it up first)."""
    from conveyor.store.database import upgrade_database

    shown, before, after = upgrade_database(state_dir)
    if before == after:
        typer.echo(f"{shown}: already at revision {after}")
    elif before is None:
        typer.echo(f"{shown}: created at revision {after}")
    else:
        typer.echo(f"{shown}: upgraded from revision {before} to {after}")


@db_app.command("current")
def current(state_dir: StateDir = None) -> None:
    """Print the database's schema revision and whether it is this conveyor's."""
    from conveyor.store.database import database_revision
    from conveyor.store.revisions import HEAD_REVISION

    shown, revision = database_revision(state_dir)
    if revision is None:
        typer.echo(f"{shown}: no schema yet (created at {HEAD_REVISION} on first use)")
    elif revision == HEAD_REVISION:
        typer.echo(f"{shown}: {revision} (head)")
    else:
        typer.echo(
            f"{shown}: {revision} (this conveyor's is {HEAD_REVISION}: run `conveyor db upgrade`)"
        )


def register(app: typer.Typer) -> None:
    """Add ``conveyor db ...`` to the app."""
    if any(group.name == "db" for group in app.registered_groups):
        return
    app.add_typer(db_app, name="db")
