"""The ASGI application: one FastAPI app, its routers, and its lifespan."""

from __future__ import annotations

from fastapi import FastAPI

from conveyor import __version__
from conveyor.server.config import ServerConfig


def create_app(config: ServerConfig) -> FastAPI:
    """The server for ``config``; ``app.state.config`` holds it for the routers."""
    app = FastAPI(title="conveyor", version=__version__, docs_url="/api/docs",
                  openapi_url="/api/openapi.json", redoc_url=None)  # fmt: skip
    app.state.config = config

    @app.get("/healthz", tags=["operations"])
    def healthz() -> dict[str, str]:
        """The server is up and answering."""
        return {"status": "ok"}

    return app
