"""The ASGI application: one FastAPI app, its routers, and its lifespan.

``app.state`` holds the server's parts for the routers: ``config``, ``metrics``, the run
``queue`` (:class:`conveyor.server.queue.RunQueue`), the webhook ``dispatcher`` and the
``schedules``. Starting resumes the runs a stopped server left in progress, takes the
webhook deliveries it had not handled yet, and starts the schedule daemon; stopping takes
no new work and gives running runs ``shutdown_grace`` seconds before handing them back.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from conveyor import __version__
from conveyor.dashboard.routes import router as dashboard_router
from conveyor.server import api
from conveyor.server.config import ServerConfig

log = logging.getLogger("conveyor.server")


def create_app(config: ServerConfig) -> FastAPI:
    """The server for ``config``; ``app.state.config`` holds it for the routers."""
    from conveyor.server import webhooks
    from conveyor.server.deliveries import Dispatcher
    from conveyor.server.envsecrets import EnvSecrets
    from conveyor.server.intake import Intake
    from conveyor.server.metrics import CONTENT_TYPE, Metrics
    from conveyor.server.queue import RunQueue
    from conveyor.server.schedules import ServerSchedules
    from conveyor.server.statuses import CommitStatuses

    if config.database_url:  # the engine's wiring opens the database from the environment
        os.environ["CONVEYOR_DATABASE_URL"] = config.database_url
    metrics = Metrics()
    secrets = EnvSecrets()
    statuses = (
        CommitStatuses(config.status_api_url, config.public_url, secrets)
        if config.status_api_url
        else None
    )
    queue = RunQueue(
        config.state_dir,
        executor=config.executor,
        max_jobs=config.max_jobs or None,
        metrics=metrics,
        statuses=statuses,
    )
    dispatcher = Dispatcher(queue)
    intake = Intake(queue.store)
    metrics.webhook_backlog.set_function(lambda: float(dispatcher.pending))
    schedules = ServerSchedules(queue)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(_start)
        try:
            yield
        finally:
            await run_in_threadpool(_stop)

    def _start() -> None:
        for repo in queue.store.repositories():  # out of the environment steps inherit
            secrets.take([repo.webhook_secret_env, repo.token_env])
        if config.resume:
            resumed = queue.resume_interrupted()
            if resumed:
                log.info("resumed runs", extra={"run_ids": resumed})
        dispatcher.start()
        if config.schedules:
            schedules.start()
        log.info(
            "server started",
            extra={"executor": queue.executor, "max_jobs": queue.max_jobs, "version": __version__},
        )

    def _stop() -> None:
        log.info("server stopping", extra={"active_runs": queue.active_runs()})
        queue.stopping.set()
        schedules.stop()
        dispatcher.stop()
        intake.close()
        handed = queue.shutdown(config.shutdown_grace)
        api.close(app.state)
        if statuses is not None:
            statuses.close()
        log.info("server stopped", extra={"handed_back": handed})

    app = FastAPI(title="conveyor", version=__version__, docs_url="/api/docs",
                  openapi_url="/api/openapi.json", redoc_url=None,
                  lifespan=lifespan)  # fmt: skip
    app.state.config = config
    app.state.metrics = metrics
    app.state.queue = queue
    app.state.dispatcher = dispatcher
    app.state.intake = intake
    app.state.secrets = secrets
    app.state.schedules = schedules
    app.include_router(webhooks.router)
    api.install(app)

    app.include_router(dashboard_router(config.state_dir, config.database_url))

    @app.get("/healthz", tags=["operations"])
    def healthz() -> dict[str, str]:
        """The server is up and answering."""
        return {"status": "stopping" if queue.stopping.is_set() else "ok"}

    @app.get("/metrics", tags=["operations"], response_class=Response)
    def prometheus_metrics() -> Response:
        """Prometheus metrics: queue depth, running jobs, job durations, webhooks, workers."""
        return Response(metrics.render(), media_type=CONTENT_TYPE)

    return app
