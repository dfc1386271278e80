"""Page 6, schedules: every ``on.schedule`` cron of the workspace's workflows with its
next fire times in UTC and in the workflow's time zone, and its last recorded firing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from conveyor.dashboard.source import Sources
from conveyor.errors import UserError
from conveyor.store.models import ScheduleFiringRow
from conveyor.triggers.scheduled import schedule_entries
from conveyor.workflow import discover_workflows, is_action_file, load_workflow
from conveyor.workflow.cron import next_fire_times, zone

COUNT = 5


@dataclass(slots=True)
class ScheduleView:
    workflow_path: str
    name: str
    cron: str
    timezone: str  # "" : UTC
    next_utc: list[str] = field(default_factory=list)
    next_local: list[str] = field(default_factory=list)
    last_fired: float | None = None
    last_status: str = ""
    error: str = ""


@dataclass(slots=True)
class SchedulesPage:
    folder: str
    schedules: list[ScheduleView] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)


def schedules_page(sources: Sources, now: datetime | None = None) -> SchedulesPage:
    start = now or datetime.now(UTC)
    folder = sources.workspace / ".github" / "workflows"
    page = SchedulesPage(str(folder))
    loaded = []
    if folder.is_dir():
        for path in discover_workflows(str(folder)):
            if is_action_file(path):
                continue
            item = load_workflow(path)
            if item.errors:
                page.invalid.append(str(Path(path).relative_to(sources.workspace)))
            loaded.append(item)
    entries = schedule_entries(loaded, sources.workspace)
    last: dict[tuple[str, str], tuple[float, str]] = {}
    if entries:
        c = ScheduleFiringRow.__table__.c
        newest = (
            select(c.workflow_path, c.cron, func.max(c.slot).label("slot"))
            .group_by(c.workflow_path, c.cron)
            .subquery()
        )
        query = select(c.workflow_path, c.cron, c.fired_at, c.status).join(
            newest,
            (newest.c.workflow_path == c.workflow_path)
            & (newest.c.cron == c.cron)
            & (newest.c.slot == c.slot),
        )
        with sources.engine.connect() as connection:
            for path, cron, fired, status in connection.execute(query):
                last[(str(path), str(cron))] = (float(fired), str(status))
    for entry in entries:
        view = ScheduleView(entry.workflow_path, entry.name, entry.cron, entry.timezone or "")
        try:
            tz = zone(entry.timezone)
            for when in next_fire_times(entry.cron, entry.timezone, start, COUNT):
                view.next_utc.append(f"{when:%Y-%m-%d %H:%M} UTC")
                view.next_local.append(f"{when.astimezone(tz):%Y-%m-%d %H:%M %Z}")
        except UserError as exc:
            view.error = str(exc)
        fired = last.get((entry.workflow_path, entry.cron))
        if fired:
            view.last_fired, view.last_status = fired
        page.schedules.append(view)
    return page
