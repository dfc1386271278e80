"""`conveyor router start|stop|status`: the process provider's routers and versions.

Static sites (``provider = "static"``) have a server per app and environment too
(TEST and APP): ``start`` and ``stop`` cover them. Each app deployed with
``provider = "process"`` has, per environment, a router (the
live alias) and a process per running version, all detached from conveyor, their state
in ``<state dir>/deploy/<app>/<environment>/``. Deploys start what they need; these
commands bring the live versions back after a reboot (``start``), stop everything
(``stop``, e.g. at the end of a demo: the routing state stays) and show what runs.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from conveyor.cli.options import AppFilter, EnvFilter, StateDirOption

router_app = typer.Typer(
    name="router",
    help="The routers and versions of apps deployed with the process provider.",
    no_args_is_help=True,
)


@router_app.command("start")
def start(app: AppFilter = None, env: EnvFilter = None, state_dir: StateDirOption = None) -> None:
    """Start the live version of each app (as it was deployed) and its router, where
    they are not running."""
    from conveyor.providers.process import start_all
    from conveyor.providers.static import start_sites
    from conveyor.store.paths import resolve_state_dir

    state = resolve_state_dir(state_dir)
    started = start_all(state, app, env)
    sites = [(h, url) for h, url in start_sites(state, app) if env in (None, h.environment)]
    if not started and not sites:
        typer.echo("nothing is live: deploy first")
    for home, url in started:
        typer.echo(f"{home.app} in {home.environment}: {url} (live: {home.read().live})")
    for site, url in sites:  # static sites: APP's address
        typer.echo(f"{site.app} in {site.environment}: {url} (live: {site.read().live})")


@router_app.command("stop")
def stop(app: AppFilter = None, env: EnvFilter = None, state_dir: StateDirOption = None) -> None:
    """Stop routers and versions (requests in flight finish first); what is live stays
    recorded for `conveyor router start`."""
    from conveyor.providers.process import stop_all
    from conveyor.providers.static import stop_sites
    from conveyor.store.paths import resolve_state_dir

    stopped = stop_all(resolve_state_dir(state_dir), app, env)
    if env is None:
        stopped += stop_sites(resolve_state_dir(state_dir), app)
    typer.echo(f"stopped {stopped} process{'es' if stopped != 1 else ''}")


@router_app.command("status")
def status(
    app: AppFilter = None,
    env: EnvFilter = None,
    state_dir: StateDirOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Each app and environment: its router, the live version, and every version."""
    from conveyor.providers.process import describe
    from conveyor.store.paths import resolve_state_dir

    found = describe(resolve_state_dir(state_dir), app, env)
    if as_json:
        typer.echo(json.dumps(found, indent=2))
        return
    if not found:
        typer.echo("no app was deployed with the process provider here")
    for entry in found:
        router = entry["router"] or "router stopped"
        typer.echo(f"{entry['app']} in {entry['environment']}: {router}")
        for version in entry["versions"]:
            mark = "*" if version["id"] == entry["live"] else " "
            state = f"running on {version['port']}" if version["running"] else "stopped"
            typer.echo(
                f"  {mark} {version['id']:>3}  {version['name']}  {version['status']}, {state}"
            )


def register(app: typer.Typer) -> None:
    """Add ``conveyor router ...`` to the app."""
    if any(group.name == "router" for group in app.registered_groups):
        return
    app.add_typer(router_app, name="router")
