"""`conveyor serve`: webhooks, the API and the dashboard over HTTP (uvicorn)."""

from __future__ import annotations

from typing import Annotated

import typer

from conveyor.cli.options import StateDirOption

HostOpt = Annotated[str, typer.Option("--host", help="Address to listen on.")]
PortOpt = Annotated[int, typer.Option("--port", min=0, max=65535, help="Port (0: any free).")]
ExecutorOpt = Annotated[
    str,
    typer.Option("--executor", help="Where jobs run: local (threads here), process, celery."),
]
MaxJobsOpt = Annotated[
    int, typer.Option("--max-jobs", min=0, help="Jobs at once over all runs (0: CPUs, >= 2).")
]
GraceOpt = Annotated[
    float,
    typer.Option(
        "--grace",
        min=0,
        help="Seconds running runs get to finish on shutdown before they are handed back "
        "to the next server.",
    ),
]
StatusOpt = Annotated[
    str | None,
    typer.Option(
        "--status-api-url",
        help="GitHub-compatible API base URL to report commit statuses to (repositories "
        "registered with --token-env).",
    ),
]
PublicOpt = Annotated[
    str | None, typer.Option("--public-url", help="This server's URL, for status links.")
]
NoSchedulesOpt = Annotated[
    bool, typer.Option("--no-schedules", help="Do not run the schedule daemon.")
]
LogLevelOpt = Annotated[str, typer.Option("--log-level", help="debug, info, warning, error.")]


def serve(
    *,
    host: HostOpt = "127.0.0.1",
    port: PortOpt = 8080,
    executor: ExecutorOpt = "local",
    max_jobs: MaxJobsOpt = 0,
    grace: GraceOpt = 30.0,
    status_api_url: StatusOpt = None,
    public_url: PublicOpt = None,
    no_schedules: NoSchedulesOpt = False,
    log_level: LogLevelOpt = "info",
    state_dir: StateDirOption = None,
) -> None:
    """Serve webhooks, the API and the dashboard, and run what they trigger."""
    import uvicorn

    from conveyor.launch.names import executor_name
    from conveyor.server.app import create_app
    from conveyor.server.config import ServerConfig
    from conveyor.server.logs import log_config
    from conveyor.store.paths import ensure_state_dir, resolve_state_dir

    executor_name(executor)  # a usage error before anything starts
    state = ensure_state_dir(resolve_state_dir(state_dir))
    config = ServerConfig(
        state_dir=state,
        executor=executor,
        host=host,
        port=port,
        schedules=not no_schedules,
        max_jobs=max_jobs,
        shutdown_grace=grace,
        status_api_url=status_api_url,
        public_url=public_url,
    )
    logging_config = log_config(log_level)
    import logging.config

    logging.config.dictConfig(logging_config)
    uvicorn.run(
        create_app(config),
        host=host,
        port=port,
        log_config=logging_config,
        log_level=log_level,
        timeout_graceful_shutdown=max(1, int(grace)),
    )


def register(app: typer.Typer) -> None:
    """Add ``conveyor serve`` to the app."""
    app.command("serve")(serve)
