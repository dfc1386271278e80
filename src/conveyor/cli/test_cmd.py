"""``conveyor test``: run the test tiers of ``conveyor.toml`` with pytest, ingest the results.

Exit codes: 0 every tier green (quarantined failures and flaky tests allowed), 1 a tier
failed, 2 bad arguments or configuration, 5 no tests ran (as pytest; see the tiers'
``allow_empty``), 130 interrupted (Ctrl-C or SIGTERM: pytest is
stopped, its process group swept, and the run recorded as cancelled; if conveyor itself is
killed with ``kill -9`` an orphan guard kills pytest and the run shows as interrupted).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from conveyor.errors import EXIT_FAILED, Interrupted, NoTestsRan, UsageError

if TYPE_CHECKING:
    from conveyor.tiers.session import SessionResult

_SHARD = re.compile(r"^(\d+)/(\d+)$")


def register(app: typer.Typer) -> None:
    if any(info.name == "test" for info in app.registered_commands):
        return
    app.command(
        "test", context_settings={"allow_extra_args": True, "ignore_unknown_options": True}
    )(test_command)


def parse_shard(text: str | None) -> tuple[int, int] | None:
    """``"2/4"`` -> (2, 4); shards count from 1."""
    if text is None or not text.strip():
        return None
    found = _SHARD.match(text.strip())
    if not found:
        raise UsageError(f"--shard {text!r}: expected INDEX/COUNT, e.g. 1/4 (from 1)")
    index, count = int(found.group(1)), int(found.group(2))
    if count < 1 or not 1 <= index <= count:
        raise UsageError(f"--shard {text!r}: INDEX must be 1..{max(count, 1)}")
    return index, count


def test_command(
    ctx: typer.Context,
    *,
    tier: Annotated[
        list[str] | None, typer.Option("--tier", "-t", help="Tier to run (repeatable).")
    ] = None,
    shard: Annotated[
        str | None, typer.Option("--shard", help="Run shard INDEX/COUNT (from 1), e.g. 1/4.")
    ] = None,
    maxfail: Annotated[
        int | None, typer.Option("--maxfail", min=1, help="Stop a tier after N failures.")
    ] = None,
    retries: Annotated[
        int | None, typer.Option("--retries", min=0, max=10, help="Re-run failed tests N times.")
    ] = None,
    run: Annotated[
        int | None, typer.Option("--run", help="Link the results to this run id.")
    ] = None,
    config: Annotated[
        Path | None, typer.Option("--config", help="conveyor.toml (default: found from cwd).")
    ] = None,
    state_dir: Annotated[
        Path | None, typer.Option("--state-dir", help="State directory.", file_okay=False)
    ] = None,
) -> None:
    """Run test tiers in order (pytest per tier); extra pytest args after `--`."""
    result = run_tests(
        tiers=tier or [],
        shard=shard,
        maxfail=maxfail,
        retries=retries,
        run=run,
        config=config,
        state_dir=state_dir,
        extra=list(ctx.args),
    )
    if result.no_tests:
        empty = ", ".join(t.name for t in result.tiers if t.empty_fails)
        raise NoTestsRan(
            f"no tests ran in tier(s) {empty}; check their marker and paths, or set "
            "allow_empty = true in [tiers.<name>] of conveyor.toml if that is expected"
        )
    if not result.ok:
        raise typer.Exit(EXIT_FAILED)


def run_tests(
    *,
    tiers: list[str],
    shard: str | None,
    maxfail: int | None,
    retries: int | None,
    run: int | None,
    config: Path | None,
    state_dir: Path | None,
    extra: list[str],
) -> SessionResult:
    from conveyor.engine.masking import env_masker
    from conveyor.runners.interrupts import interruptible
    from conveyor.store.paths import default_state_dir
    from conveyor.tiers.configfile import load_config
    from conveyor.tiers.runner import options_for
    from conveyor.tiers.session import run_id_from_env, run_session, table

    loaded = load_config(config)
    settings = loaded.config
    try:
        chosen = settings.ordered(tiers)
    except KeyError as exc:
        known = ", ".join(name for name, _ in settings.ordered())
        raise UsageError(f"unknown tier {exc.args[0]} (known: {known})") from None
    state = (state_dir or default_state_dir(loaded.root)).resolve()
    shards = parse_shard(shard)
    with interruptible() as interrupt:
        options = options_for(
            settings.test,
            state_dir=state,
            root=loaded.root,
            run_id=run if run is not None else run_id_from_env(os.environ),
            run_id_from_env=run is None,
            extra=extra,
            maxfail=maxfail,
            retries=retries,
            shard=shards,
            on_line=typer.echo,
            cancel=interrupt,
            masker=env_masker(os.environ),  # in a step: the secrets that step can read
        )
        result = run_session(chosen, options, named=bool(tiers))
    typer.echo("")
    typer.echo(table(result.tiers))
    if result.cancelled:
        raise Interrupted(f"interrupted: run {result.run_id} was cancelled")
    verdict = "passed" if result.ok else "FAILED"
    typer.echo(f"\nrun {result.run_id}: {verdict}; report: {result.report}")
    return result
