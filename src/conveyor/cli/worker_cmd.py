"""`conveyor worker`: serve jobs from Celery's queues (see docs/deploy.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    if any(info.name == "worker" for info in app.registered_commands):
        return
    app.command("worker")(worker)


def worker(
    *,
    labels: Annotated[
        str | None,
        typer.Option(
            "--labels",
            help="Comma-separated runs-on labels this worker has "
            "(default: self-hosted,linux,<arch>,ubuntu-latest).",
        ),
    ] = None,
    concurrency: Annotated[
        int, typer.Option("--concurrency", "-c", min=1, help="Jobs at once (default: CPUs).")
    ] = 0,
    broker: Annotated[
        str | None,
        typer.Option(
            "--broker",
            help="Celery broker URL, redis:// or amqp:// "
            "(default: $CONVEYOR_BROKER_URL, else redis://127.0.0.1:6379/0).",
        ),
    ] = None,
    name: Annotated[str | None, typer.Option("--name", help="This worker's name.")] = None,
    state_dir: Annotated[
        Path | None,
        typer.Option(
            "--state-dir",
            help="Where job workspaces go (default: the dispatching run's state directory, "
            "shared with this machine).",
        ),
    ] = None,
    loglevel: Annotated[str, typer.Option("--loglevel", help="Celery's log level.")] = "WARNING",
) -> None:
    """Run jobs from Celery's queues: those whose runs-on labels this worker has."""
    import os

    from conveyor.executors.celery_config import DEFAULT_LABELS, CelerySettings, require_celery

    require_celery("conveyor worker")
    from conveyor.executors.celery_worker import run_worker

    settings = CelerySettings.from_env(broker=broker)
    chosen = [x for x in (labels or "").split(",") if x.strip()] or list(DEFAULT_LABELS)
    settings.worker_queues(chosen)  # refuses no labels or too many, before Celery starts
    raise typer.Exit(
        run_worker(
            chosen,
            concurrency or os.cpu_count() or 1,
            settings,
            name=name,
            state_dir=state_dir.resolve() if state_dir else None,
            loglevel=loglevel.upper(),
        )
    )
