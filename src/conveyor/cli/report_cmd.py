"""``conveyor report RUN``, ``conveyor notify RUN`` and ``conveyor gc --older-than 30d``.

``report`` prints the nightly-style report (md, json or html) and appends the markdown
to ``$GITHUB_STEP_SUMMARY`` when set. ``notify`` applies the ``[notify]`` policy and
alert rules and delivers; delivery failures are warnings (exit 0). ``gc`` removes old
logs, workspaces, artifacts and test results, keeping run summaries and tier counts.

``latest`` is the current repository's newest run; a run id may be any repository's.
``gc`` works on the state directory and on every repository's rows in the database.
"""

from __future__ import annotations

import os
import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from conveyor.cli.scope import read_scope
from conveyor.errors import UsageError

RunArgument = Annotated[str, typer.Argument(help="Run id, or 'latest'.")]
StateDirOption = Annotated[
    Path | None, typer.Option("--state-dir", help="State directory.", file_okay=False)
]
ConfigOption = Annotated[
    Path | None, typer.Option("--config", help="conveyor.toml (default: found from cwd).")
]


class ReportFormat(StrEnum):
    MD = "md"
    JSON = "json"
    HTML = "html"


def register(app: typer.Typer) -> None:
    if any(info.name == "report" for info in app.registered_commands):
        return
    app.command("report")(report)
    app.command("notify")(notify)
    app.command("gc")(gc)


def _state(state_dir: Path | None) -> Path:
    from conveyor.store.paths import default_state_dir

    return (state_dir or default_state_dir()).resolve()


def report(
    run: RunArgument = "latest",
    output_format: Annotated[ReportFormat, typer.Option("--format")] = ReportFormat.MD,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file too.")
    ] = None,
    state_dir: StateDirOption = None,
) -> None:
    """Print a run's test report: verdict, tiers, failures, flaky tests, actions."""
    from conveyor.reporting.build import build_report, resolve_run
    from conveyor.reporting.render import render
    from conveyor.results.db import ResultsDb

    state = _state(state_dir)
    with ResultsDb(state) as db:
        scope = read_scope(db)
        with db.read() as connection:
            run_id = resolve_run(connection, run, scope.filter)
            built = build_report(connection, run_id, state_dir=state)
    text = render(built, output_format.value)
    typer.echo(text, nl=False)
    if output is not None:
        output.write_text(text, encoding="utf-8")
    summary = os.environ.get("GITHUB_STEP_SUMMARY", "").strip()
    if summary:
        markdown = text if output_format is ReportFormat.MD else render(built, "md")
        with Path(summary).open("a", encoding="utf-8") as handle:
            handle.write(markdown)


def notify(
    run: RunArgument = "latest",
    policy: Annotated[
        str | None, typer.Option("--policy", help="failure, always or change.")
    ] = None,
    channel: Annotated[
        list[str] | None, typer.Option("--channel", "-c", help="slack, webhook, email.")
    ] = None,
    config: ConfigOption = None,
    state_dir: StateDirOption = None,
) -> None:
    """Send the run's report to the notify channels when the policy or a rule says so."""
    from conveyor.reporting.build import resolve_run
    from conveyor.reporting.notify import notify_run, record
    from conveyor.reporting.settings import CHANNELS, POLICIES
    from conveyor.results.db import ResultsDb
    from conveyor.tiers.configfile import load_config

    if policy is not None and policy not in POLICIES:
        raise UsageError(f"--policy {policy!r}: expected one of {', '.join(POLICIES)}")
    for name in channel or []:
        if name not in CHANNELS:
            raise UsageError(f"--channel {name!r}: expected one of {', '.join(CHANNELS)}")
    settings = load_config(config).config.notify
    state = _state(state_dir)
    with ResultsDb(state) as db:
        scope = read_scope(db)
        with db.read() as connection:
            run_id = resolve_run(connection, run, scope.filter)
            outcome = notify_run(
                connection, settings, run_id, policy=policy, channels=channel, state_dir=state
            )
    record(state, outcome)
    if not outcome.decision.send:
        detail = f" ({outcome.decision.change})" if outcome.decision.change else ""
        typer.echo(f"run {run_id}: no notification (policy {policy or settings.policy}){detail}")
        return
    reasons = ", ".join(outcome.decision.reasons)
    if outcome.unconfigured:
        typer.echo(
            f"run {run_id}: would notify because {reasons}, but no notify channel is "
            "configured: add [notify.slack], [notify.webhook] or [notify.email] to conveyor.toml"
        )
        return
    typer.echo(f"run {run_id}: notifying because {reasons}")
    for delivery in outcome.deliveries:
        if delivery.ok:
            typer.echo(f"  {delivery.channel}: delivered to {delivery.target}")
    for warning in outcome.warnings:
        typer.echo(f"warning: {warning}", err=True)


def gc(
    older_than: Annotated[
        str, typer.Option("--older-than", help="Age cutoff, e.g. 30d, 12h, 90m.")
    ] = "30d",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only show what would go.")] = False,
    keep_builds: Annotated[
        int,
        typer.Option(
            "--keep-builds",
            min=0,
            help="Published builds kept whatever their age: live ones, those of each "
            "environment's N newest deployments and each app's N newest builds.",
        ),
    ] = 10,
    state_dir: StateDirOption = None,
) -> None:
    """Remove logs, workspaces, artifacts and test results older than the cutoff."""
    from conveyor.reporting.durations import format_bytes, parse_duration
    from conveyor.reporting.gc import collect_garbage
    from conveyor.results.db import ResultsDb

    try:
        age = parse_duration(older_than)
    except ValueError as exc:
        raise UsageError(f"--older-than: {exc}") from None
    state = _state(state_dir)
    with ResultsDb(state) as db:
        done = collect_garbage(
            state, db.engine, db.writer, time.time() - age, dry_run=dry_run, keep_builds=keep_builds
        )
    verb = "would remove" if dry_run else "removed"
    for path, size in done.removed:
        typer.echo(f"{verb} {path} ({format_bytes(size)})")
    for build in done.builds:
        typer.echo(f"{verb} build {build}")
    typer.echo(
        f"{verb} {len(done.removed)} paths, {done.log_lines} log lines and "
        f"{done.result_rows} test result rows; "
        f"{'would free' if dry_run else 'freed'} {format_bytes(done.bytes_freed)}"
    )
