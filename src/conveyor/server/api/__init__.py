"""The REST API under ``/api`` (documented at ``/api/openapi.json``, browsable at
``/api/docs``): runs, logs (server-sent events with ``?follow=1``), cancel, re-run,
dispatch, approvals, deployments and rollback, test results, flaky tests, quarantine,
stats and schedules. Every route needs a token (:mod:`conveyor.server.api.access`);
errors become HTTP answers in one place (:mod:`conveyor.server.api.errors`).
"""

from __future__ import annotations

from typing import Any

from fastapi import Depends, FastAPI

from conveyor.server.api import (
    access,
    approvals,
    deliveries,
    errors,
    logs,
    results,
    runs,
    schedules,
)


def install(app: FastAPI) -> None:
    """Add the API's routes and its error mapping to ``app``."""
    errors.install(app)
    for module in (runs, logs, approvals, deliveries, results, schedules):
        app.include_router(module.router, dependencies=[Depends(access.limited_body)])


def close(state: Any) -> None:
    """Close what the API opened (at the server's shutdown)."""
    access.close_history(state)
