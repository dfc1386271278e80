"""Scheduled workflows and their next fire times.

The entries are the ones the server's schedule daemon watches
(:class:`conveyor.server.schedules.ServerSchedules`: every ``on.schedule`` cron of the
default branch of each registered repository); a server started without schedules has
none.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request

from conveyor.server.api.access import Reader
from conveyor.server.api.models import ScheduleInfo
from conveyor.triggers.daemon import ScheduleEntry
from conveyor.workflow.cron import next_fire_times

router = APIRouter(prefix="/api", tags=["schedules"])


@router.get("/schedules", response_model=list[ScheduleInfo])
def schedules(
    request: Request, _token: Reader, count: Annotated[int, Query(ge=1, le=50)] = 5
) -> list[ScheduleInfo]:
    """Every ``on.schedule`` cron of the repositories served, with its next fire times."""
    source = getattr(request.app.state, "schedules", None)
    entries: list[ScheduleEntry] = list(getattr(source, "entries", []))
    names: dict[str, str] = dict(getattr(source, "names", {}))
    now = datetime.now(UTC)
    return [
        ScheduleInfo(
            repository=names.get(entry.repository, entry.repository),
            workflow_path=entry.workflow_path,
            name=entry.name,
            cron=entry.cron,
            timezone=entry.timezone or "UTC",
            next=[
                when.timestamp() for when in next_fire_times(entry.cron, entry.timezone, now, count)
            ],
        )
        for entry in entries
    ]
