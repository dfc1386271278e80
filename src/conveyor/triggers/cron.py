"""When a ``schedule`` cron fires, in UTC, honouring the entry's IANA ``timezone``.

croniter walks the cron over *wall-clock* (naive) times in the zone; each wall time is
then placed on the time line:

* a wall time that does not exist (the DST gap, e.g. 02:30 on the spring-forward day
  in America/New_York) fires at the first valid minute after the gap (03:00);
  several slots inside one gap fire once;
* a wall time that exists twice (the DST overlap) fires once, at its first occurrence.

Without ``timezone`` crons are in UTC, as on GitHub.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

from conveyor.errors import UserError

_MAX_GAP_MINUTES = 24 * 60


def zone(name: str | None) -> tzinfo:
    """The zone for an IANA name (UTC when None); :class:`UserError` for unknown names."""
    if not name:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise UserError(f"unknown time zone {name!r}; use an IANA name like Asia/Bangkok") from exc


def check_cron(expression: str) -> None:
    """:class:`UserError` unless ``expression`` is a valid five-field cron line."""
    if len(expression.split()) != 5 or not croniter.is_valid(expression):
        raise UserError(f"invalid cron expression {expression!r}: expected five fields")


def _exists(wall: datetime, tz: tzinfo) -> bool:
    aware = wall.replace(tzinfo=tz)
    back = aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None)
    return back == wall


def place(wall: datetime, tz: tzinfo) -> datetime:
    """The UTC instant a naive wall time in ``tz`` fires at (gap: first valid minute after)."""
    candidate = wall
    for _ in range(_MAX_GAP_MINUTES):
        if _exists(candidate, tz):
            return candidate.replace(tzinfo=tz, fold=0).astimezone(UTC)
        candidate += timedelta(minutes=1)
    return wall.replace(tzinfo=tz).astimezone(UTC)  # pragma: no cover - no 24h gaps exist


def fire_times(expression: str, tz_name: str | None, after: datetime) -> Iterator[datetime]:
    """Every fire time strictly after ``after`` (aware), in UTC, ascending, without repeats."""
    check_cron(expression)
    tz = zone(tz_name)
    after_utc = after.astimezone(UTC)
    # Start three hours early in wall time so slots in an overlap or gap are not skipped.
    start = after_utc.astimezone(tz).replace(tzinfo=None) - timedelta(hours=3)
    walker = croniter(expression, start)
    last: datetime | None = None
    while True:
        wall = walker.get_next(datetime)
        when = place(wall, tz)
        if when <= after_utc or (last is not None and when <= last):
            continue
        last = when
        yield when


def next_fire_times(
    expression: str, tz_name: str | None, after: datetime, count: int = 5
) -> list[datetime]:
    """The next ``count`` fire times after ``after``, in UTC."""
    times = fire_times(expression, tz_name, after)
    return [next(times) for _ in range(count)]


def latest_fire_time(
    expression: str, tz_name: str | None, at: datetime, within: timedelta
) -> datetime | None:
    """The last fire time in ``(at - within, at]``, or None."""
    result: datetime | None = None
    for when in fire_times(expression, tz_name, at - within):
        if when > at:
            break
        result = when
    return result
