"""The dashboard's routes: six server-rendered pages and their two static files.

:func:`router` gives a FastAPI ``APIRouter`` the server includes at ``/``; the pages read
the history database directly and the browser calls the server's API (``/api/...``)
for live logs and actions, with the token the viewer keeps in ``localStorage``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from importlib import resources
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from conveyor.dashboard.environments import environments_page
from conveyor.dashboard.render import markup, page
from conveyor.dashboard.rundetail import run_page
from conveyor.dashboard.runs import FILTERS, runs_page
from conveyor.dashboard.schedules import schedules_page
from conveyor.dashboard.source import Sources
from conveyor.dashboard.tests_page import tests_page
from conveyor.dashboard.trends import WINDOWS, trends_page

STATIC = {"dashboard.css": "text/css", "dashboard.js": "text/javascript"}
NAV = (
    ("/", "Runs"),
    ("/tests", "Tests"),
    ("/trends", "Trends"),
    ("/environments", "Environments"),
    ("/schedules", "Schedules"),
)


def _html(build: Callable[[], str]) -> HTMLResponse:
    """The page, with how long the server took in ``Server-Timing`` (the benchmark
    reads it)."""
    began = time.perf_counter()
    body = build()
    spent = (time.perf_counter() - began) * 1000
    return HTMLResponse(body, headers={"Server-Timing": f"app;dur={spent:.1f}"})


def router(
    state_dir: Path, database_url: str | None = None, workspace: Path | None = None
) -> APIRouter:
    """The dashboard over the history of ``state_dir`` (or the database at
    ``database_url``), with ``conveyor.toml`` and workflows read from ``workspace``
    (default: the current directory)."""
    sources = Sources(Path(state_dir), database_url, (workspace or Path.cwd()).resolve())
    routes = APIRouter(include_in_schema=False)

    def render(template: str, active: str, **values: object) -> str:
        return page(template, nav=NAV, active=active, config_error=sources.config_error,
                    markup=markup, **values)  # fmt: skip

    @routes.get("/", response_class=HTMLResponse)
    def runs(request: Request, before: str = "") -> HTMLResponse:
        filters = {k: request.query_params.get(k, "") for k in FILTERS}
        return _html(lambda: render("runs.html.j2", "/", page=runs_page(sources, filters, before)))

    @routes.get("/runs/{run_id}", response_class=HTMLResponse)
    def run(run_id: int) -> HTMLResponse:
        def build() -> str:
            found = run_page(sources, run_id)
            if found is None:
                raise HTTPException(404, f"run {run_id} is not recorded")
            return render("run.html.j2", "/", page=found)

        return _html(build)

    @routes.get("/tests", response_class=HTMLResponse)
    def tests(days: int = 7) -> HTMLResponse:
        chosen = days if days in WINDOWS else 7
        return _html(
            lambda: render(
                "tests.html.j2", "/tests", page=tests_page(sources, chosen), windows=WINDOWS
            )
        )

    @routes.get("/trends", response_class=HTMLResponse)
    def trends(days: int = 30) -> HTMLResponse:
        return _html(
            lambda: render(
                "trends.html.j2", "/trends", page=trends_page(sources, days), windows=WINDOWS
            )
        )

    @routes.get("/environments", response_class=HTMLResponse)
    def environments() -> HTMLResponse:
        return _html(
            lambda: render("environments.html.j2", "/environments", page=environments_page(sources))
        )

    @routes.get("/schedules", response_class=HTMLResponse)
    def schedules() -> HTMLResponse:
        return _html(
            lambda: render("schedules.html.j2", "/schedules", page=schedules_page(sources))
        )

    @routes.get("/ui/{name}")
    def static(name: str) -> Response:
        kind = STATIC.get(name)
        if kind is None:
            raise HTTPException(404, f"no {name}")
        body = resources.files("conveyor.dashboard").joinpath("static", name).read_bytes()
        return Response(body, media_type=kind, headers={"Cache-Control": "max-age=300"})

    return routes
