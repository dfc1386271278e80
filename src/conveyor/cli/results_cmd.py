"""`conveyor ingest`, `flaky`, `quarantine add|remove|list`, `stats` and `shard`: test results.

Each works on the current repository's results (`flaky` and `stats` take ``--all`` for
every repository in the database); `ingest --run N` files results under run N's
repository.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
import time
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from conveyor.cli.options import StateDirOption
from conveyor.cli.scope import AllOption, read_scope, write_scope
from conveyor.errors import UserError

if TYPE_CHECKING:  # SQLAlchemy is imported only when a command runs
    from conveyor.results.db import ResultsDb


class TextJson(StrEnum):
    TEXT = "text"
    JSON = "json"


class StatsFormat(StrEnum):
    TEXT = "text"
    JSON = "json"
    PROMETHEUS = "prometheus"


class ShardFormat(StrEnum):
    NODEIDS = "nodeids"
    PYTEST_ARGS = "pytest-args"


quarantine_app = typer.Typer(
    help="Quarantined tests: still run, but don't fail their tier.", rich_markup_mode=None
)


def register(app: typer.Typer) -> None:
    if any(info.name == "ingest" for info in app.registered_commands):
        return
    app.command("ingest")(ingest)
    app.command("flaky")(flaky)
    app.command("stats")(stats)
    app.command("shard")(shard)
    app.add_typer(quarantine_app, name="quarantine")


def _db(state_dir: Path | None) -> ResultsDb:
    from conveyor.results.db import ResultsDb

    return ResultsDb(state_dir)


def ingest(
    files: Annotated[list[Path], typer.Argument(help="JUnit XML or pytest-json-report files.")],
    *,
    tier: Annotated[str, typer.Option("--tier", help="Test tier, e.g. unit.")] = "",
    run: Annotated[int | None, typer.Option("--run", help="conveyor run id.")] = None,
    commit: Annotated[str, typer.Option("--commit", help="Commit SHA tested.")] = "",
    branch: Annotated[str, typer.Option("--branch", help="Branch tested.")] = "main",
    state_dir: StateDirOption = None,
) -> None:
    """Store test results from report files (all or nothing)."""
    from conveyor.engine.masking import env_masker
    from conveyor.results.ingest import IngestContext
    from conveyor.results.ingest import ingest as run_ingest

    masker = env_masker(os.environ)  # in a step: the run's secrets that step can read
    with _db(state_dir) as db:
        repository_id = None if run is not None else write_scope(db).repository_id
        context = IngestContext(tier, run, commit, branch, repository_id=repository_id)
        summary = run_ingest(db, files, context, masker=masker)
    counts = ", ".join(f"{n} {s}" for s, n in summary.by_status.items()) or "no test cases"
    typer.echo(f"ingested {summary.total} results from {summary.files} file(s): {counts}")


def flaky(
    *,
    days: Annotated[float, typer.Option("--days", min=0, help="Window in days.")] = 30,
    threshold: Annotated[float, typer.Option("--threshold", help="Flip-rate threshold.")] = 0.1,
    runs: Annotated[int, typer.Option("--runs", min=2, help="Last N runs for flips.")] = 30,
    branch: Annotated[str, typer.Option("--branch", help="Default branch.")] = "main",
    auto_quarantine: Annotated[
        int | None,
        typer.Option("--auto-quarantine", min=1, help="Quarantine tests flaky on K commits."),
    ] = None,
    every: AllOption = False,
    output: Annotated[TextJson, typer.Option("--format")] = TextJson.TEXT,
    state_dir: StateDirOption = None,
) -> None:
    """List this repository's flaky tests (pass and fail on one commit, or a high flip
    rate), following each tier's flaky policy in conveyor.toml (flaky = "off",
    min_commits, min_days)."""
    from conveyor.results import quarantine as q
    from conveyor.results import render
    from conveyor.results.flaky import find_flaky
    from conveyor.tiers.configfile import load_config
    from conveyor.tiers.flakypolicy import detected, to_quarantine

    if every and auto_quarantine is not None:
        raise UserError("--auto-quarantine works on one repository: leave out --all")
    config = load_config().config
    with _db(state_dir) as db:
        scope = read_scope(db, every)
        with db.read() as connection:
            found = find_flaky(
                connection,
                days=days,
                threshold=threshold,
                runs=runs,
                branch=branch,
                repository_id=scope.filter,
            )
        found = detected(found, config)
        added = []
        if auto_quarantine is not None and scope.repository_id is not None:
            for f in to_quarantine(found, config, auto_quarantine):
                reason = f"auto: flaky on {f.flaky_commits} commits, {f.flaky_days} days"
                if q.add(db, scope.repository_id, f.test_id, reason, automatic=True):
                    added.append(f.test_id)
    if output is TextJson.JSON:
        typer.echo(json.dumps({"flaky": render.flaky_json(found), "quarantined": added}, indent=2))
        return
    typer.echo(render.flaky_text(found))
    for test_id in added:
        typer.echo(f"quarantined {test_id}")


@quarantine_app.command("add")
def quarantine_add(
    test: Annotated[str, typer.Argument(help="Test id.")],
    reason: Annotated[str, typer.Option("--reason", help="Why.")] = "",
    state_dir: StateDirOption = None,
) -> None:
    """Quarantine a test of this repository."""
    from conveyor.results import quarantine as q

    with _db(state_dir) as db:
        added = q.add(db, write_scope(db).filter or 0, test, reason)
    typer.echo(f"quarantined {test}" if added else f"{test} was already quarantined")


@quarantine_app.command("remove")
def quarantine_remove(
    test: Annotated[str, typer.Argument(help="Test id.")], state_dir: StateDirOption = None
) -> None:
    """Release a test of this repository from quarantine."""
    from conveyor.results import quarantine as q

    with _db(state_dir) as db:
        if not q.remove(db, read_scope(db).filter or 0, test):
            raise UserError(f"{test} is not quarantined (see `conveyor quarantine list`)")
    typer.echo(f"released {test}")


@quarantine_app.command("list")
def quarantine_list(
    output: Annotated[TextJson, typer.Option("--format")] = TextJson.TEXT,
    state_dir: StateDirOption = None,
) -> None:
    """List this repository's quarantined tests."""
    import dataclasses

    from conveyor.results import quarantine as q

    with _db(state_dir) as db, db.read() as connection:
        found = q.entries(connection, read_scope(db).filter or 0)
    if output is TextJson.JSON:
        typer.echo(json.dumps([dataclasses.asdict(e) for e in found], indent=2))
        return
    if not found:
        typer.echo("no quarantined tests")
    for e in found:
        when = time.strftime("%Y-%m-%d", time.localtime(e.added_at))
        auto = " (auto)" if e.automatic else ""
        typer.echo(f"{e.test_id}  {when} {e.added_by}{auto}  {e.reason}".rstrip())


def stats(
    days: Annotated[float, typer.Option("--days", min=0, help="Window in days.")] = 7,
    every: AllOption = False,
    output: Annotated[StatsFormat, typer.Option("--format")] = StatsFormat.TEXT,
    state_dir: StateDirOption = None,
) -> None:
    """This repository's success rates, durations, pass rates, flakiness and slowest tests
    vs the targets in conveyor.toml's ``[targets]`` (the seeds' defaults when there is
    none)."""
    from conveyor.results import prometheus, render
    from conveyor.results.stats import compute_stats
    from conveyor.tiers.configfile import load_config

    targets = load_config().config.targets.to_targets()
    with _db(state_dir) as db:
        scope = read_scope(db, every)
        with db.read() as connection:
            found = compute_stats(
                connection, days=days, targets=targets, repository_id=scope.filter
            )
    if output is StatsFormat.JSON:
        typer.echo(json.dumps(render.stats_json(found), indent=2))
    elif output is StatsFormat.PROMETHEUS:
        typer.echo(prometheus.render(found), nl=False)
    else:
        typer.echo(render.stats_text(found))


def shard(
    ids_file: Annotated[
        str | None, typer.Argument(help="File of test ids, '-' for stdin; default: collect.")
    ] = None,
    *,
    count: Annotated[int, typer.Option("--count", min=1, help="Number of shards.")] = 1,
    index: Annotated[int, typer.Option("--index", min=0, help="This shard (0-based).")] = 0,
    output: Annotated[ShardFormat, typer.Option("--format")] = ShardFormat.NODEIDS,
    durations: Annotated[
        Path | None, typer.Option("--durations", help="pytest-split .test_durations JSON.")
    ] = None,
    state_dir: StateDirOption = None,
) -> None:
    """Print this shard's tests, balanced by recorded durations."""
    from conveyor.results import collect, sharding

    if index >= count:
        raise UserError(f"--index {index} is out of range for --count {count} (0..{count - 1})")
    if ids_file == "-":
        ids = collect.parse_ids(sys.stdin)
    elif ids_file:
        try:
            ids = collect.parse_ids(Path(ids_file).read_text(encoding="utf-8").splitlines())
        except OSError as exc:
            raise UserError(f"{ids_file}: cannot read: {exc.strerror or exc}") from exc
    else:
        ids = collect.collect_pytest()
    if durations is not None:
        known = collect.durations_file(durations)
    else:
        with _db(state_dir) as db:
            scope = read_scope(db)
            with db.read() as connection:
                known = collect.recent_durations(connection, ids, scope.filter)
    chosen = sharding.split(sharding.estimate(ids, known), count)[index]
    if output is ShardFormat.PYTEST_ARGS:
        typer.echo(" ".join(shlex.quote(t) for t in chosen.tests))
    else:
        for test in chosen.tests:
            typer.echo(test)
