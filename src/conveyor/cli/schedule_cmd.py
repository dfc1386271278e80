"""`conveyor schedule list|run|history`: show and fire ``on.schedule`` workflows.

``list`` prints each cron's next five fire times in UTC and in its ``timezone``.
``run`` is a daemon: it sleeps until the next slot, fires it (recorded in the history
database so no slot fires twice, even across restarts), catches up a missed slot
younger than ``--grace`` once on start, and stops cleanly on SIGTERM/SIGINT (runs in
progress are cancelled and recorded as such). ``--once-at`` fires the slots due at one
time and exits (for tests and an external cron). Slots are claimed per repository, so
repositories sharing one database each fire their own. ``history`` lists the current
repository's recorded firings (``--all``: every repository's).
"""

from __future__ import annotations

import re
import signal
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer

from conveyor.cli import run_cmd
from conveyor.cli.scope import AllOption, current_identity
from conveyor.errors import UsageError, UserError
from conveyor.git import repo_info
from conveyor.runners import kill_all_process_groups
from conveyor.store import default_state_dir
from conveyor.triggers.clock import SystemClock
from conveyor.triggers.daemon import ScheduleEntry, Scheduler
from conveyor.triggers.scheduled import make_fire, schedule_entries
from conveyor.workflow import LoadedWorkflow, discover_workflows, is_action_file, load_workflow
from conveyor.workflow.cron import check_cron, next_fire_times, zone
from conveyor.workflow.validate import default_workflows_path

schedule_app = typer.Typer(
    name="schedule",
    help="List and run scheduled workflows.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
WorkflowsOpt = Annotated[
    Path | None,
    typer.Option(
        "-W",
        "--workflows",
        help="Workflow file or folder (default: the repository's .github/workflows).",
    ),
]
_DURATION = re.compile(r"(\d+(?:\.\d+)?)([smhd]?)")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> timedelta:
    """``90``, ``90s``, ``15m``, ``1h``, ``1h30m``, ``2d``."""
    cleaned = text.strip().lower().replace(" ", "")
    parts = _DURATION.findall(cleaned)
    if not cleaned or "".join(n + u for n, u in parts) != cleaned:
        raise UsageError(f"--grace: invalid duration {text!r}; use e.g. 90s, 15m, 1h, 1h30m")
    return timedelta(seconds=sum(float(n) * _UNITS[u] for n, u in parts))


def parse_time(text: str) -> datetime:
    """An ISO 8601 time; without an offset it is UTC."""
    try:
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise UsageError(f"--once-at: invalid ISO time {text!r}") from exc
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _load(target: Path | None) -> list[LoadedWorkflow]:
    target = target or Path(default_workflows_path())
    path = target if target.is_absolute() else Path.cwd() / target
    loaded = [load_workflow(f) for f in discover_workflows(str(path)) if not is_action_file(f)]
    for item in loaded:
        if item.errors:
            typer.echo(f"warning: {item.path} is invalid and is not scheduled", err=True)
    return loaded


def _entries(
    workflows: Path | None, root: Path, repository: str = ""
) -> tuple[list[LoadedWorkflow], list[ScheduleEntry]]:
    loaded = _load(workflows)
    entries = schedule_entries(loaded, root, repository)
    for entry in entries:
        try:
            check_cron(entry.cron)
            zone(entry.timezone)
        except UserError as exc:
            raise UserError(f"{entry.workflow_path}: {exc}") from exc
    return loaded, entries


@schedule_app.command("list")
def list_(
    workflows: WorkflowsOpt = None,
    count: Annotated[int, typer.Option("--count", min=1, help="Fire times per cron.")] = 5,
    now: Annotated[str | None, typer.Option("--now", help="List from this ISO time.")] = None,
) -> None:
    """Every scheduled workflow with its next fire times (UTC and its time zone)."""
    _, entries = _entries(workflows, repo_info(Path.cwd()).root)
    start = parse_time(now) if now else datetime.now(UTC)
    if not entries:
        typer.echo("no scheduled workflows")
        return
    for entry in entries:
        tz_note = f" ({entry.timezone})" if entry.timezone else " (UTC)"
        typer.echo(f"{entry.workflow_path}  cron '{entry.cron}'{tz_note}  {entry.name}")
        tz = zone(entry.timezone)
        for when in next_fire_times(entry.cron, entry.timezone, start, count):
            local = when.astimezone(tz)
            typer.echo(
                f"  {when:%Y-%m-%d %H:%M} UTC   {local:%Y-%m-%d %H:%M %Z}"
                if entry.timezone
                else f"  {when:%Y-%m-%d %H:%M} UTC"
            )


@schedule_app.command("run")
def run(
    workflows: WorkflowsOpt = None,
    grace: Annotated[str, typer.Option("--grace", help="Catch up missed slots this young.")] = "1h",
    once_at: Annotated[
        str | None, typer.Option("--once-at", help="Fire the slots due at this ISO time, exit.")
    ] = None,
    state_dir: Annotated[Path | None, typer.Option("--state-dir", help="State dir.")] = None,
) -> None:
    """Fire scheduled workflows on time until SIGTERM (or once, with --once-at)."""
    grace_delta = parse_duration(grace)
    at = parse_time(once_at) if once_at else None
    info = repo_info(Path.cwd())
    loaded, entries = _entries(workflows, info.root, info.identity.key)
    from conveyor.store.schedule import FiringStore

    repo = run_cmd._repo_facts(info)
    state = (state_dir or default_state_dir(repo.root)).resolve()
    firings = FiringStore(state)
    identity = info.identity  # recorded with its name and URL before its first firing
    firings.repository_id(identity.key, identity.name, identity.url)
    scheduler = Scheduler(
        entries,
        firings,
        make_fire(loaded, info, repo, state),
        SystemClock(),
        grace=grace_delta,
        log=lambda text: typer.echo(f"[schedule] {text}"),
    )
    try:
        if at is not None:
            fired = scheduler.fire_at(at)
            typer.echo(f"[schedule] {fired} slot(s) fired at {at:%Y-%m-%d %H:%M}Z")
            return
        _serve(scheduler, f"[schedule] watching {len(entries)} cron(s); state {state}")
    finally:
        kill_all_process_groups()
        firings.close()


@schedule_app.command("history")
def history(
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="How many firings.")] = 20,
    every: AllOption = False,
    state_dir: Annotated[Path | None, typer.Option("--state-dir", help="State dir.")] = None,
) -> None:
    """This repository's recorded firings (--all: every repository's), newest last."""
    from conveyor.store.schedule import FiringStore

    repository = None if every else current_identity().key
    with FiringStore(state_dir or default_state_dir()) as store:
        found = store.firings(repository, limit=limit)
    if not found:
        typer.echo("no scheduled firings recorded" + ("" if every else " for this repository"))
        return
    for firing in found:
        slot = datetime.fromtimestamp(firing.slot, UTC)
        where = f"{firing.repository}  " if every else ""
        note = f"  {firing.note}" if firing.note else ""
        typer.echo(
            f"{where}{slot:%Y-%m-%d %H:%M}Z  {firing.workflow_path}  [{firing.cron}]  "
            f"{firing.status}{note}"
        )


def _serve(scheduler: Scheduler, banner: str) -> None:
    def handler(signum: int, frame: FrameType | None) -> None:
        del frame
        typer.echo(f"[schedule] got signal {signum}; stopping")
        scheduler.stop()

    if threading.current_thread() is not threading.main_thread():
        typer.echo(banner)
        scheduler.run()
        return
    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    typer.echo(banner)
    try:
        scheduler.run()
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)
    typer.echo("[schedule] stopped")


def register(app: typer.Typer) -> None:
    """Add ``conveyor schedule ...`` to the app."""
    if any(group.name == "schedule" for group in app.registered_groups):
        return
    app.add_typer(schedule_app, name="schedule")
