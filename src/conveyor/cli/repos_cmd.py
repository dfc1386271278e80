"""`conveyor repos add|list|remove`: the repositories `conveyor serve` takes webhooks for.

``add NAME --url GIT_URL`` registers one; ``--webhook-secret-env VAR`` names the
environment variable holding its webhook secret (the server checks every delivery's
``X-Hub-Signature-256`` with it; without one, unsigned deliveries are taken), and
``--token-env VAR`` the one holding an API token for commit statuses. Only the variables'
names are stored, never their values.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import typer

from conveyor.cli.options import StateDirOption

repos_app = typer.Typer(
    name="repos",
    help="The repositories conveyor serve takes webhooks for: add, list, remove.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,254}$")


def _env_name(value: str | None, option: str) -> str | None:
    from conveyor.errors import UsageError

    if value is not None and not _ENV_NAME.match(value):
        raise UsageError(f"{option} {value!r}: give the NAME of an environment variable")
    return value


def _url(value: str) -> str:
    """A local path made absolute (the server may start elsewhere); URLs as given."""
    if "://" in value or re.match(r"^[^/]+@[^:]+:", value):
        return value
    return str(Path(value).expanduser().resolve())


@repos_app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="The repository's name here (e.g. owner/repo).")],
    *,
    url: Annotated[str, typer.Option("--url", help="The git URL to mirror.")],
    webhook_secret_env: Annotated[
        str | None,
        typer.Option("--webhook-secret-env", help="Env var holding the webhook secret."),
    ] = None,
    token_env: Annotated[
        str | None,
        typer.Option("--token-env", help="Env var holding an API token (commit statuses)."),
    ] = None,
    state_dir: StateDirOption = None,
) -> None:
    """Register a repository: webhooks naming it start its workflows."""
    from conveyor.errors import UsageError
    from conveyor.store.paths import resolve_state_dir
    from conveyor.store.server_store import ServerRepository, ServerStore

    if not _NAME.match(name):
        raise UsageError(f"repository name {name!r}: use letters, digits, '.', '_', '-', '/'")
    repo = ServerRepository(
        name,
        _url(url),
        _env_name(webhook_secret_env, "--webhook-secret-env"),
        _env_name(token_env, "--token-env"),
    )
    with ServerStore(resolve_state_dir(state_dir)) as store:
        store.add_repository(repo)
    typer.echo(f"registered {name}: {repo.url}")
    if repo.webhook_secret_env is None:
        typer.echo(
            "warning: no --webhook-secret-env: the server takes unsigned webhooks for it",
            err=True,
        )


@repos_app.command("list")
def list_(state_dir: StateDirOption = None) -> None:
    """The registered repositories, with the names of their secret and token variables."""
    from conveyor.store.paths import resolve_state_dir
    from conveyor.store.server_store import ServerStore

    with ServerStore(resolve_state_dir(state_dir)) as store:
        found = store.repositories()
    if not found:
        typer.echo("no repositories registered; conveyor repos add NAME --url GIT_URL")
        return
    for repo in found:
        secret = f"  secret ${repo.webhook_secret_env}" if repo.webhook_secret_env else ""
        token = f"  token ${repo.token_env}" if repo.token_env else ""
        typer.echo(f"{repo.name}  {repo.url}{secret}{token}")


@repos_app.command("remove")
def remove(
    name: Annotated[str, typer.Argument(help="The repository's name here.")],
    state_dir: StateDirOption = None,
) -> None:
    """Stop taking webhooks for a repository (its history stays)."""
    from conveyor.errors import UserError
    from conveyor.store.paths import resolve_state_dir
    from conveyor.store.server_store import ServerStore

    with ServerStore(resolve_state_dir(state_dir)) as store:
        if not store.remove_repository(name):
            raise UserError(f"repository {name!r} is not registered; see conveyor repos list")
    typer.echo(f"removed {name}")


def register(app: typer.Typer) -> None:
    """Add ``conveyor repos ...`` to the app."""
    if any(group.name == "repos" for group in app.registered_groups):
        return
    app.add_typer(repos_app, name="repos")
