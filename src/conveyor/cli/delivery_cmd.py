"""`conveyor artifacts`, `conveyor deployments` and `conveyor rollback`: what was built,
where it is deployed, and moving an environment's live alias back.

The listings are of the current repository (as `conveyor runs`). `rollback` switches the
live alias of an app in an environment back to a version that was live before, with no
rebuild, and records it; it refuses to go behind a database migration without `--force`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from conveyor.cli.options import AppFilter, EnvFilter, StateDirOption
from conveyor.cli.scope import read_scope, write_scope
from conveyor.cli.tables import elapsed, table, when

if TYPE_CHECKING:
    from conveyor.store.deliveries import DeliveryStore

T = TypeVar("T")

JsonOption = Annotated[bool, typer.Option("--json", help="JSON instead of a table.")]
LimitOption = Annotated[int, typer.Option("--limit", "-n", min=1, help="How many rows.")]


def register(app: typer.Typer) -> None:
    if any(info.name == "artifacts" for info in app.registered_commands):
        return
    app.command("artifacts")(artifacts)
    app.command("deployments")(deployments)
    app.command("rollback")(rollback)


def _open(state_dir: Path | None) -> DeliveryStore | None:
    """The store, or None when nothing was ever recorded (don't create files to read)."""
    from conveyor.store.deliveries import DeliveryStore
    from conveyor.store.paths import DB_FILE_NAME, database_url, resolve_state_dir, sqlite_url

    directory = resolve_state_dir(state_dir)
    if database_url(directory) == sqlite_url(directory) and not (directory / DB_FILE_NAME).exists():
        return None
    return DeliveryStore(directory)


def _listing(
    state_dir: Path | None, what: str, read: Callable[[DeliveryStore, int | None], list[T]]
) -> tuple[list[T], str]:
    """``read``'s rows for the current repository, and what to say when there are none."""
    store = _open(state_dir)
    if store is None:
        return [], f"no {what} recorded yet"
    with store:
        scope = read_scope(store)
        if scope.unknown:
            return [], scope.nothing_yet(what)
        return read(store, scope.filter), f"no {what} match"


def _short(digest: str) -> str:
    return digest[:19] if digest.startswith("sha256:") else digest[:12]


def artifacts(
    *,
    app: AppFilter = None,
    env: EnvFilter = None,
    limit: LimitOption = 50,
    as_json: JsonOption = False,
    state_dir: StateDirOption = None,
) -> None:
    """Builds published with conveyor/publish@v1: version, digest, commit, where live."""
    from dataclasses import asdict

    found, empty = _listing(
        state_dir,
        "artifacts",
        lambda store, repo: store.artifacts(repo, app=app, environment=env, limit=limit),
    )
    if as_json:
        rows = [{**asdict(a), "live_in": list(a.deployed)} for a in found]
        for row in rows:
            row.pop("deployed")
        typer.echo(json.dumps(rows, indent=2))
        return
    if not found:
        typer.echo(empty)
        return
    table(
        ("app", "version", "kind", "digest", "commit", "run", "published", "live in"),
        [
            (
                a.app, a.version, a.kind, _short(a.digest), a.commit[:7] or "-",
                str(a.run_id or "-"), when(a.created_at), ", ".join(a.deployed) or "-",
            )
            for a in found
        ],
    )  # fmt: skip


def deployments(
    *,
    app: AppFilter = None,
    env: EnvFilter = None,
    limit: LimitOption = 30,
    as_json: JsonOption = False,
    state_dir: StateDirOption = None,
) -> None:
    """What is live per environment and app, then the deployment history, newest first."""
    from dataclasses import asdict

    from conveyor.store.deliveries import LIVE

    found, empty = _listing(
        state_dir,
        "deployments",
        lambda store, repo: store.deployments(repo, environment=env, app=app),
    )
    live = [d for d in found if d.status == LIVE]
    if as_json:
        data: dict[str, Any] = {
            "live": [asdict(d) for d in live],
            "history": [asdict(d) for d in found[:limit]],
        }
        typer.echo(json.dumps(data, indent=2))
        return
    if not found:
        typer.echo(empty)
        return
    typer.echo("live:")
    table(
        ("environment", "app", "version", "digest", "commit", "since", "deployment"),
        [
            (
                d.environment, d.app, d.version, _short(d.digest), d.commit[:7] or "-",
                when(d.switched_at), f"#{d.id}",
            )
            for d in sorted(live, key=lambda d: (d.environment, d.app))
        ],
    )  # fmt: skip
    typer.echo("\nhistory:")
    table(
        ("#", "environment", "app", "version", "action", "status", "previous", "run", "job",
         "started", "took", "schema", "reason"),
        [
            (
                str(d.id), d.environment, d.app, d.version, d.action, d.status,
                d.previous_version or "-", str(d.run_id or "-"), d.job_key or "-",
                when(d.started_at),
                elapsed(d.ended_at - d.started_at if d.ended_at else None),
                d.schema_revision or "-", d.reason or "",
            )
            for d in found[:limit]
        ],
    )  # fmt: skip


def rollback(
    *,
    app: Annotated[str, typer.Option("--app", help="The app (an [apps.<name>]).")],
    env: Annotated[str, typer.Option("--env", help="The environment.")],
    to: Annotated[
        str | None,
        typer.Option("--to", help="The version to return to (default: the one live before)."),
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Roll back even behind a database migration, or while a deploy runs.",
        ),
    ] = False,
    reason: Annotated[str, typer.Option("--reason", help="Why (recorded).")] = "",
    config: Annotated[
        Path | None, typer.Option("--config", help="conveyor.toml (default: found from here).")
    ] = None,
    state_dir: StateDirOption = None,
) -> None:
    """Move the live alias of an app in an environment back, with no rebuild."""
    from conveyor.actions.delivery_common import DeliveryConfig
    from conveyor.actions.delivery_wiring import manual_rollback
    from conveyor.store.deliveries import DeliveryStore
    from conveyor.tiers.configfile import load_config

    loaded = DeliveryConfig(load_config(config, start=Path.cwd()))
    with DeliveryStore(state_dir) as store:
        scope = write_scope(store)
        assert scope.repository_id is not None
        done = manual_rollback(
            store,
            loaded,
            repository_id=scope.repository_id,
            app=app,
            environment=env,
            to_version=to,
            force=force,
            reason=reason or "rolled back by hand (conveyor rollback)",
            log=typer.echo,
        )
    typer.echo(
        f"rolled back {app} in {env}: {done.replaced.version} -> {done.deployment.version} "
        f"(deployment #{done.deployment.id}; #{done.replaced.id} is marked rolled back)"
    )
