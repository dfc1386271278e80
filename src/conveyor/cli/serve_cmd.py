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


def serve(
    host: HostOpt = "127.0.0.1",
    port: PortOpt = 8080,
    executor: ExecutorOpt = "local",
    state_dir: StateDirOption = None,
) -> None:
    """Serve webhooks, the API and the dashboard, and run what they trigger."""
    import uvicorn

    from conveyor.server.app import create_app
    from conveyor.server.config import ServerConfig
    from conveyor.store.paths import ensure_state_dir, resolve_state_dir

    state = ensure_state_dir(resolve_state_dir(state_dir))
    config = ServerConfig(state_dir=state, executor=executor, host=host, port=port)
    uvicorn.run(create_app(config), host=host, port=port, log_level="info")


def register(app: typer.Typer) -> None:
    """Add ``conveyor serve`` to the app."""
    app.command("serve")(serve)
