"""Page 1, the runs: filters, newest first, each run's duration against its target."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from conveyor.dashboard.source import Sources
from conveyor.results.targets import Targets
from conveyor.store.models import RepositoryRow, RunRow
from conveyor.store.queries import RunInfo, list_runs

PAGE_SIZE = 50
FILTERS = ("repository", "workflow", "branch", "event", "status", "actor")
STATUSES = ("success", "failure", "cancelled", "in_progress", "queued", "waiting", "interrupted")
_NAMES_SECONDS = 60.0
CHOICE_DAYS = 30


@dataclass(frozen=True, slots=True)
class RunRowView:
    run: RunInfo
    branch: str
    target: float | None  # the workflow's duration target, seconds
    over: bool  # took longer than its target


@dataclass(slots=True)
class RunsPage:
    filters: dict[str, str]
    rows: list[RunRowView] = field(default_factory=list)
    older: str = ""  # the query string of the next page ("" when there is none)
    choices: dict[str, list[str]] = field(default_factory=dict)


def branch_of(ref: str) -> str:
    for prefix in ("refs/heads/", "refs/tags/"):
        if ref.startswith(prefix):
            return ref.removeprefix(prefix)
    return ref


def _view(run: RunInfo, targets: Targets) -> RunRowView:
    target = targets.duration_for(run.workflow_name) or targets.duration_for(run.workflow_path)
    limit = target.max_seconds if target else None
    over = limit is not None and run.duration is not None and run.duration > limit
    return RunRowView(run, branch_of(run.ref), limit, over)


def _choices(sources: Sources) -> dict[str, list[str]]:
    """What each filter suggests: the names seen in the last 30 days (an index range,
    not the whole history), kept for a minute."""

    def compute() -> dict[str, list[str]]:
        since = time.time() - CHOICE_DAYS * 86400
        with sources.engine.connect() as connection:

            def names(column: Any) -> list[str]:
                query = select(column).where(RunRow.created_at >= since).distinct().limit(500)
                return sorted(str(v) for (v,) in connection.execute(query) if v)

            repositories = connection.execute(select(RepositoryRow.name).limit(500))
            return {
                "repository": sorted(str(v) for (v,) in repositories),
                "workflow": names(RunRow.workflow_name),
                "event": names(RunRow.event),
                "actor": names(RunRow.actor),
                "status": list(STATUSES),
                "branch": [],
            }

    return sources.cached("run-choices", _NAMES_SECONDS, compute)


def runs_page(sources: Sources, filters: dict[str, str], before: str = "") -> RunsPage:
    chosen = {k: filters[k].strip() for k in FILTERS if filters.get(k, "").strip()}
    cursor = int(before) if before.isdigit() else None
    found = list_runs(
        sources.sessions(),
        workflow=chosen.get("workflow"),
        status=chosen.get("status"),
        repository=chosen.get("repository"),
        branch=chosen.get("branch"),
        event=chosen.get("event"),
        actor=chosen.get("actor"),
        before=cursor,
        limit=PAGE_SIZE + 1,
    )
    targets = sources.targets()
    page = RunsPage(filters=chosen, choices=_choices(sources))
    page.rows = [_view(run, targets) for run in found[:PAGE_SIZE]]
    if len(found) > PAGE_SIZE:
        last = found[PAGE_SIZE - 1]
        from urllib.parse import urlencode

        page.older = urlencode({**chosen, "before": str(last.id)})
    return page
