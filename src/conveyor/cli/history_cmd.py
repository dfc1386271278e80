"""`conveyor runs`, `conveyor show RUN` and `conveyor logs RUN [JOB[/STEP]]`: run history.

`runs` lists the current repository's runs (``--all``: every repository's, with a
column for it); run ids are global, so `show` and `logs` take any run's id. Tables use
rich when stdout is a terminal and plain aligned text otherwise.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from conveyor.cli.options import StateDirOption
from conveyor.cli.remote import ServerOption
from conveyor.cli.scope import AllOption, Scope, read_scope
from conveyor.cli.tables import elapsed, table, when
from conveyor.errors import UsageError, UserError

if TYPE_CHECKING:  # the store (SQLAlchemy, Alembic) is imported only when a command runs
    from conveyor.cli.remote import Remote
    from conveyor.engine.events import LogLine
    from conveyor.store import SqlRunStore
    from conveyor.store.queries import JobInfo, RunDetail, RunInfo, StepInfo


class OutputFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


FormatOption = Annotated[OutputFormat, typer.Option("--format", help="text or json.")]
RunArgument = Annotated[str, typer.Argument(help="Run id (see `conveyor runs`), or 'latest'.")]


def register(app: typer.Typer) -> None:
    """Add the commands to the app (once)."""
    if any(info.name == "runs" for info in app.registered_commands):
        return
    app.command("runs")(runs)
    app.command("show")(show)
    app.command("logs")(logs)


# ---------------------------------------------------------------- commands


def runs(
    *,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="How many runs.")] = 20,
    workflow: Annotated[
        str | None, typer.Option("--workflow", "-w", help="Workflow name or file.")
    ] = None,
    status: Annotated[
        str | None, typer.Option("--status", help="Status or conclusion, e.g. failure.")
    ] = None,
    every: AllOption = False,
    output: FormatOption = OutputFormat.TEXT,
    state_dir: StateDirOption = None,
    server: ServerOption = None,
) -> None:
    """List this repository's recent runs (--all: every repository's), newest first.

    With --server (or $CONVEYOR_SERVER): the server's runs, of every repository."""
    from conveyor.engine.status import Conclusion, RunState
    from conveyor.store import to_jsonable

    if status is not None:
        valid = [*(s.value for s in RunState), *(c.value for c in Conclusion)]
        if status not in valid:
            raise UsageError(f"--status {status}: not a status; one of: {', '.join(valid)}")

    store = None if server else _open(state_dir)
    found: list[RunInfo] = []
    scope: Scope | None = None
    if server:
        from conveyor.cli.remote import Remote
        from conveyor.store.queries import run_from_jsonable

        every = True
        with Remote(server) as remote:
            page = remote.get("/api/runs", workflow=workflow, status=status, limit=limit)
        found = [run_from_jsonable(run) for run in page["runs"]]
    elif store is not None:
        with store:
            scope = read_scope(store, every)
            if not scope.unknown:
                found = store.list_runs(
                    repository_id=scope.filter, workflow=workflow, status=status, limit=limit
                )
    if output is OutputFormat.JSON:
        typer.echo(json.dumps(to_jsonable(found), indent=2))
        return
    if not found:
        if server:
            typer.echo("no runs match" if workflow or status else "no runs recorded yet")
        elif scope is None or scope.unknown:
            typer.echo(scope.nothing_yet("runs") if scope else "no runs recorded yet")
        else:
            typer.echo("no runs match")
        return
    repository = ("repository",) if every else ()
    table(
        ("id", *repository, "#", "workflow", "event", "ref", "status", "started", "duration"),
        [
            (
                str(run.id),
                *((run.repository_name,) if every else ()),
                f"#{run.run_number}",
                run.workflow_name or run.workflow_path,
                run.event,
                run.ref,
                run.display_status,
                when(run.started_at or run.created_at),
                elapsed(run.duration),
            )
            for run in found
        ],
    )


def show(
    run: RunArgument,
    output: FormatOption = OutputFormat.TEXT,
    state_dir: StateDirOption = None,
    server: ServerOption = None,
) -> None:
    """Show a run with its jobs and steps: conclusions, durations, exit codes, outputs."""
    from conveyor.store import to_jsonable

    detail = _remote_detail(server, run) if server else _load(run, state_dir)
    if output is OutputFormat.JSON:
        typer.echo(json.dumps(to_jsonable(detail), indent=2))
        return
    _show_run(detail.run)
    for job in detail.jobs:
        _show_job(job)
    if detail.annotations:
        typer.echo("\nannotations:")
        for note in detail.annotations:
            where = note.job_key if note.step_index is None else f"{note.job_key}/{note.step_index}"
            spot = ":".join(str(p) for p in (note.file, note.line, note.col) if p is not None)
            title = f" {note.title}:" if note.title else ""
            typer.echo(f"  {note.level} {where}{' ' + spot if spot else ''}{title} {note.message}")


def logs(
    run: RunArgument,
    target: Annotated[
        str | None,
        typer.Argument(
            metavar="[JOB[/STEP]]",
            help="Job key, job id or a prefix; then /STEP: the step's number or name "
            "(names may hold '/', e.g. 'build/Run actions/checkout@v4').",
        ),
    ] = None,
    *,
    step: Annotated[
        str | None,
        typer.Option(
            "--step",
            "-s",
            help="The step's number or name, given on its own (no '/' splitting).",
        ),
    ] = None,
    follow: Annotated[
        bool,
        typer.Option(
            "--follow",
            "-f",
            help="Keep printing lines as the run writes them (from any process); return when "
            "the run ends.",
        ),
    ] = False,
    state_dir: StateDirOption = None,
    server: ServerOption = None,
) -> None:
    """Print the logs of a run, a job, or one step.

    \b
    conveyor logs 12                                  every job of run 12
    conveyor logs 12 build                            job 'build' (or a matrix job's key)
    conveyor logs 12 build/2                          step 2 of job 'build'
    conveyor logs 12 "build/Run actions/checkout@v4"  a step by name
    conveyor logs 12 build --step "Run tests"         the same, without '/'
    conveyor logs 12 --follow                         as they are written, until it ends
    """
    from conveyor.store.selection import select_logs

    if server:
        _remote_logs(server, run, target, step, follow)
        return
    store = _open(state_dir)
    if store is None:
        raise UserError(f"no run {run!r}: no runs recorded yet")
    with store:
        detail = _detail(store, run)
        run_id = detail.run.id
        if detail.run.logs_removed_at is not None:
            raise UserError(
                f"the logs of run {run_id} were removed by `conveyor gc` on "
                f"{when(detail.run.logs_removed_at)}; `conveyor show {run_id}` still has its "
                "jobs, steps and outputs"
            )
        if follow:
            _follow(store, run_id, target, step)
            return
        if not detail.jobs:
            raise UserError(
                f"run {run_id} ({detail.run.workflow_name}) recorded no jobs, so it has no "
                f"logs; see its test results with `conveyor report {run_id}`"
            )
        selections = select_logs(detail, target, step)
        single = len(selections) == 1 and not selections[0].whole_job
        for selection in selections:
            job = selection.job
            if selection.whole_job or not single:
                typer.echo(f"=== {job.job_key}: {job.conclusion or job.status}")
            if selection.whole_job:
                _print(store.lines(run_id, job_key=job.job_key, job_only=True))
            for chosen in selection.steps:
                if not single:
                    state = chosen.conclusion or chosen.status
                    typer.echo(f"--- step {chosen.index}: {chosen.name} ({state})")
                _print(store.lines(run_id, job_key=job.job_key, step_index=chosen.index))


def _print(lines: Sequence[LogLine]) -> None:
    from conveyor.engine.events import GROUP_END

    for line in lines:
        if line.stream != GROUP_END:  # where a ::group:: ended: the dashboard's, not text
            typer.echo(line.text)


def _follow(store: SqlRunStore, run_id: int, target: str | None, step: str | None) -> None:
    """Print the run's lines (of the job or step ``target`` names) in order as they are
    stored, with a header when the job or step changes, until the run has ended."""
    from conveyor.engine.events import GROUP_END
    from conveyor.store.follow import POLL_SECONDS, follow_step

    after = 0
    shown: tuple[str, int | None] | None = None
    while True:
        found = follow_step(store, run_id, after, target, step)
        after = found.after
        for line in found.lines:
            if line.stream == GROUP_END:
                continue
            where = (line.job_key, line.step_index)
            _header(where, shown)
            shown = where
            typer.echo(line.text)
        if found.ended:
            return
        if not found.full:
            time.sleep(POLL_SECONDS)


def _header(where: tuple[str, int | None], shown: tuple[str, int | None] | None) -> None:
    if where != shown:
        at = "" if where[1] is None else f" / step {where[1]}"
        typer.echo(f"=== {where[0]}{at}")


# ---------------------------------------------------------------- remote


def _remote_id(remote: Remote, run: str) -> int:
    text = run.strip()
    if text.isdigit():
        return int(text)
    if text.lower() in ("latest", "last"):
        page = remote.get("/api/runs", limit=1)
        if not page["runs"]:
            raise UserError(f"no run {run!r}: {remote.url} has no runs recorded yet")
        return int(page["runs"][0]["id"])
    raise UserError(f"run must be a run id (a number) or 'latest', not {run!r}")


def _remote_detail(server: str, run: str) -> RunDetail:
    from conveyor.cli.remote import Remote
    from conveyor.store.queries import detail_from_jsonable

    with Remote(server) as remote:
        return detail_from_jsonable(remote.get(f"/api/runs/{_remote_id(remote, run)}"))


def _remote_lines(remote: Remote, run_id: int, job_key: str) -> list[dict[str, Any]]:
    """Every line of the job (its own and its steps'), in order, page by page."""
    lines: list[dict[str, Any]] = []
    after = 0
    while True:
        page = remote.get(f"/api/runs/{run_id}/logs", job=job_key, after=after)
        lines.extend(line for line in page["lines"] if line["job"] == job_key)
        after = int(page["after"])
        if not page["more"]:
            return lines


def _remote_logs(server: str, run: str, target: str | None, step: str | None, follow: bool) -> None:
    """`conveyor logs` against a server: the same selection and output as locally."""
    from conveyor.cli.remote import Remote
    from conveyor.store.queries import detail_from_jsonable
    from conveyor.store.selection import select_logs

    with Remote(server) as remote:
        run_id = _remote_id(remote, run)
        if follow:
            shown: tuple[str, int | None] | None = None
            events = remote.events(f"/api/runs/{run_id}/logs", follow=1, job=target, step=step)
            for event, _ident, data in events:
                if event != "message":
                    continue
                line = json.loads(data)
                where = (str(line["job"]), line["step"])
                _header(where, shown)
                shown = where
                typer.echo(line["text"])
            return
        detail = detail_from_jsonable(remote.get(f"/api/runs/{run_id}"))
        if not detail.jobs:
            raise UserError(
                f"run {run_id} ({detail.run.workflow_name}) recorded no jobs, so it has no "
                f"logs; see its test results with `conveyor report {run_id}`"
            )
        selections = select_logs(detail, target, step)
        single = len(selections) == 1 and not selections[0].whole_job
        for selection in selections:
            job = selection.job
            lines = _remote_lines(remote, run_id, job.job_key)
            if selection.whole_job or not single:
                typer.echo(f"=== {job.job_key}: {job.conclusion or job.status}")
            if selection.whole_job:
                for line in lines:
                    if line["step"] is None:
                        typer.echo(line["text"])
            for chosen in selection.steps:
                if not single:
                    state = chosen.conclusion or chosen.status
                    typer.echo(f"--- step {chosen.index}: {chosen.name} ({state})")
                for line in lines:
                    if line["step"] == chosen.index:
                        typer.echo(line["text"])


# ---------------------------------------------------------------- helpers


def _open(state_dir: Path | None) -> SqlRunStore | None:
    """The store, or None when nothing was ever recorded (don't create files to read)."""
    from conveyor.store import SqlRunStore
    from conveyor.store.paths import DB_FILE_NAME, database_url, resolve_state_dir, sqlite_url

    directory = resolve_state_dir(state_dir)
    if database_url(directory) == sqlite_url(directory) and not (directory / DB_FILE_NAME).exists():
        return None
    return SqlRunStore(directory)


def _load(run: str, state_dir: Path | None) -> RunDetail:
    store = _open(state_dir)
    if store is None:
        raise UserError(f"no run {run!r}: no runs recorded yet")
    with store:
        return _detail(store, run)


def _detail(store: SqlRunStore, run: str) -> RunDetail:
    scope = read_scope(store)
    run_id = _run_id(store, run, scope)
    detail = store.get_run(run_id) if run_id is not None else None
    if detail is None:
        recent = [str(r.id) for r in store.list_runs(repository_id=scope.filter, limit=5)]
        known = f"recent runs: {', '.join(recent)}" if recent else "no runs recorded yet"
        raise UserError(f"no run {run!r}; {known} (see `conveyor runs`)")
    return detail


def _run_id(store: SqlRunStore, spec: str, scope: Scope) -> int | None:
    """A run id as given (any repository's), or the current repository's latest run."""
    text = spec.strip()
    if text.lower() in ("latest", "last"):
        return store.latest_run_id(scope.filter)
    if text.isdigit():
        return int(text)
    raise UserError(f"run must be a run id (a number) or 'latest', not {spec!r}")


def _show_run(run: RunInfo) -> None:
    typer.echo(f"run {run.id}  #{run.run_number}  {run.workflow_name}  ({run.workflow_path})")
    typer.echo(f"  event {run.event}  ref {run.ref or '-'}  sha {run.sha[:12] or '-'}")
    typer.echo(f"  status {run.status}  conclusion {run.conclusion or '-'}")
    started = when(run.started_at or run.created_at)
    typer.echo(f"  started {started}  duration {elapsed(run.duration)}  pid {run.pid}@{run.host}")
    if run.note:
        typer.echo(f"  note: {run.note}")


def _show_job(job: JobInfo) -> None:
    state = job.conclusion or job.status
    typer.echo(f"\njob {job.job_key}: {state}  {elapsed(job.duration)}")
    if job.name and job.name != job.job_key:
        typer.echo(f"  name: {job.name}")
    if job.environment:
        url = f" ({job.environment_url})" if job.environment_url else ""
        typer.echo(f"  environment: {job.environment}{url}")
    if job.note:
        typer.echo(f"  note: {job.note}")
    _outputs("  outputs", job.outputs)
    if job.steps:
        table(("#", "step", "conclusion", "duration", "exit", "note"), _step_rows(job.steps))
    for step in job.steps:
        _outputs(f"  step {step.index} outputs", step.outputs)
        if step.summary.strip():
            typer.echo(f"  step {step.index} summary:")
            for line in step.summary.rstrip().splitlines():
                typer.echo(f"    {line}")


def _step_rows(steps: Sequence[StepInfo]) -> list[tuple[str, ...]]:
    return [
        (
            str(step.index),
            step.name,
            step.conclusion or step.status,
            elapsed(step.duration),
            "-" if step.exit_code is None else str(step.exit_code),
            step.note,
        )
        for step in steps
    ]


def _outputs(label: str, outputs: dict[str, str]) -> None:
    if outputs:
        typer.echo(f"{label}: " + ", ".join(f"{k}={v}" for k, v in sorted(outputs.items())))
