"""`conveyor canary status|abort|promote`: a canary release in progress, from any process.

The deploy step running a canary (``strategy: canary`` of ``conveyor/deploy@v1``) keeps
its state in the history database: its step, the weights, every analysis result. These
commands read it, and leave a command the step picks up within a fraction of a second:
``abort`` (the canary's share back to 0, the stable version keeps everything),
``promote`` (end the current pause or analysis: on to the next step; ``--full``: skip
every remaining step and switch to the canary now).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from conveyor.cli.options import StateDirOption

if TYPE_CHECKING:
    from conveyor.store.canaries import Canary, CanaryStore

canary_app = typer.Typer(
    name="canary",
    help="Canary releases: status (step, weights, analysis results), abort, promote.",
    no_args_is_help=True,
)

AppOption = Annotated[str, typer.Option("--app", help="The app (an [apps.<name>]).")]
EnvOption = Annotated[str, typer.Option("--env", help="The environment.")]
WaitOption = Annotated[
    float, typer.Option("--wait", min=0, help="Seconds to wait for the deploy step to act.")
]
AsOption = Annotated[
    str | None,
    typer.Option("--as", help="Who decides (default: git config user.name, else $USER)."),
]


def register(app: typer.Typer) -> None:
    """Add ``conveyor canary ...`` to the app."""
    if any(group.name == "canary" for group in app.registered_groups):
        return
    app.add_typer(canary_app, name="canary")


def _store(state_dir: Path | None) -> CanaryStore:
    from conveyor.errors import UserError
    from conveyor.store.canaries import CanaryStore
    from conveyor.store.paths import DB_FILE_NAME, database_url, resolve_state_dir, sqlite_url

    directory = resolve_state_dir(state_dir)
    if database_url(directory) == sqlite_url(directory) and not (directory / DB_FILE_NAME).exists():
        raise UserError(f"no history database in {directory}: nothing was deployed from here")
    return CanaryStore(directory)


def _find(store: CanaryStore, app: str, env: str) -> Canary:
    from conveyor.cli.scope import read_scope
    from conveyor.errors import UserError

    scope = read_scope(store)
    found = store.latest_canary(scope.repository_id, env, app)
    if found is None:
        raise UserError(
            f"no canary of app {app} in {env}: deploy with strategy: canary "
            "(conveyor/deploy@v1) first"
        )
    return found


def _identity(given: str | None) -> str:
    from conveyor.git.ancestry import identity_of_user

    return given or identity_of_user(Path.cwd()) or os.environ.get("USER", "") or "someone"


def _describe(canary: Canary) -> dict[str, Any]:
    return {
        "id": canary.id,
        "app": canary.app,
        "environment": canary.environment,
        "status": canary.status,
        "step": canary.step,
        "steps": canary.plan,
        "weights": {
            canary.canary_version: canary.weight,
            canary.stable_version: 100 - canary.weight,
        },
        "stable": canary.stable_version,
        "canary": canary.canary_version,
        "message": canary.message,
        "paused_until": canary.paused_until,
        "verdict": canary.verdict,
        "deployment_id": canary.deployment_id,
        "run_id": canary.run_id,
        "started_at": canary.started_at,
        "ended_at": canary.ended_at,
    }


def _number(value: float | None, digits: str = ".4g") -> str:
    return "-" if value is None else format(value, digits)


@canary_app.command("status")
def status(
    *,
    app: AppOption,
    env: EnvOption,
    state_dir: StateDirOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The newest canary of an app in an environment: its step, the weights, and every
    analysis result so far."""
    with _store(state_dir) as store:
        canary = _find(store, app, env)
        results = store.results(canary.id)
    described = _describe(canary)
    if as_json:
        described["results"] = [
            {
                "step": r.step,
                "interval": r.interval,
                "metric": r.metric,
                "verdict": r.verdict,
                "canary_value": r.canary_value,
                "stable_value": r.stable_value,
                "p_value": r.p_value,
                "effect": r.effect,
                "detail": r.detail,
                "at": r.at,
            }
            for r in results
        ]
        typer.echo(json.dumps(described, indent=2))
        return
    step = canary.plan[canary.step] if canary.step < len(canary.plan) else {}
    typer.echo(
        f"canary #{canary.id}: {app} in {env}: {canary.status}, step {canary.step + 1} of "
        f"{len(canary.plan)} {json.dumps(step)}"
    )
    typer.echo(
        f"weights: {canary.canary_version} (canary) {canary.weight:g}%, "
        f"{canary.stable_version} (stable) {100 - canary.weight:g}%"
    )
    if canary.message:
        typer.echo(canary.message)
    if canary.verdict.get("metric"):
        v = canary.verdict
        typer.echo(
            f"failing metric {v['metric']}: canary {_number(v.get('canary_value'))}, stable "
            f"{_number(v.get('stable_value'))}, p-value {_number(v.get('p_value'), '.3g')}"
        )
    if not results:
        typer.echo("no analysis results yet")
        return
    typer.echo(f"{'interval':>8}  {'step':>4}  {'metric':<16} {'verdict':<12} "
               f"{'canary':>10} {'stable':>10} {'p-value':>8} {'effect':>6}")  # fmt: skip
    for r in results:
        typer.echo(
            f"{r.interval:>8}  {r.step + 1:>4}  {r.metric:<16} {r.verdict:<12} "
            f"{_number(r.canary_value):>10} {_number(r.stable_value):>10} "
            f"{_number(r.p_value, '.3g'):>8} {_number(r.effect, '+.2f'):>6}"
        )


def _command(
    app: str,
    env: str,
    command: str,
    *,
    who: str | None,
    reason: str,
    wait: float,
    state_dir: Path | None,
    config: Path | None = None,
) -> None:
    from conveyor.actions.canary_control import ask
    from conveyor.errors import ConveyorError
    from conveyor.store.canaries import ACTIVE

    with _store(state_dir) as store:
        canary = _find(store, app, env)
        done_here = ask(
            store, canary, command, by=_identity(who), reason=reason, config=config,
            start=Path.cwd(), log=typer.echo,
        )  # fmt: skip
        if done_here:
            typer.echo(f"canary #{canary.id} is aborted (its deploy step was gone)")
            return
        typer.echo(f"{command} asked of canary #{canary.id} ({canary.canary_version})")
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            now = store.canary(canary.id)
            assert now is not None
            if now.command is None:  # taken
                if command == "promote" and now.status in ACTIVE:
                    typer.echo(f"taken: canary #{canary.id} goes on (step {now.step + 1})")
                    return
                if now.status not in ACTIVE:
                    typer.echo(f"canary #{canary.id} is {now.status}: {now.message}".rstrip(": "))
                    return
            time.sleep(0.2)
    raise ConveyorError(
        f"the deploy step running canary #{canary.id} (pid {canary.owner_pid} on "
        f"{canary.owner_host}) did not act within {wait:g}s; the command stays recorded for "
        "it. Is its run still going? (conveyor runs)"
    )


@canary_app.command("abort")
def abort(
    *,
    app: AppOption,
    env: EnvOption,
    reason: Annotated[str, typer.Option("--reason", help="Why (recorded).")] = "",
    who: AsOption = None,
    wait: WaitOption = 30.0,
    config: Annotated[
        Path | None, typer.Option("--config", help="conveyor.toml (default: found from here).")
    ] = None,
    state_dir: StateDirOption = None,
) -> None:
    """Abort the canary: its share of the traffic back to 0, the stable version keeps
    everything, the deployment recorded as aborted. When the deploy step running it is
    gone (its process died), the abort is done here."""
    _command(
        app, env, "abort", who=who, reason=reason, wait=wait, state_dir=state_dir, config=config
    )


@canary_app.command("promote")
def promote(
    *,
    app: AppOption,
    env: EnvOption,
    full: Annotated[
        bool, typer.Option("--full", help="Skip every remaining step: switch to it now.")
    ] = False,
    reason: Annotated[str, typer.Option("--reason", help="Why (recorded).")] = "",
    who: AsOption = None,
    wait: WaitOption = 30.0,
    state_dir: StateDirOption = None,
) -> None:
    """Promote the canary: end the current pause or analysis (on to the next step), or
    with --full switch the live alias to it now."""
    command = "promote-full" if full else "promote"
    _command(app, env, command, who=who, reason=reason, wait=wait, state_dir=state_dir)
