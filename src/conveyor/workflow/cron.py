"""``on.schedule`` cron lines: what GitHub accepts, and when an accepted line fires.

The one implementation used by validation (``conveyor validate``), the scheduler
(``conveyor schedule``) and everything else that reads a cron line.

What GitHub accepts (its documentation, and the validator of GitHub's own workflow
language service, which the workflow editor uses):

* five fields separated by spaces: minute 0-59, hour 0-23, day of month 1-31,
  month 1-12 or ``JAN``-``DEC``, day of week 0-6 (0 is Sunday) or ``SUN``-``SAT``;
  names in any case; leading zeros allowed (``05``);
* in each field a ``,`` list of items; an item is ``*``, a value, a range ``a-b``
  (``a <= b``; names and numbers may mix, ``SUN-2``) or any of these followed by a step
  ``/n`` where ``n`` is a number from 1 to the field's maximum (``*/15``, ``1-30/5``,
  ``20/15`` = from 20 to the end, every 15);
* nothing else: no ``@daily`` macros, no ``7`` for Sunday, no ``L``, ``W``, ``#`` or
  ``?``, no six-field (seconds) lines, no tabs.

Firing: croniter walks the *normalised* line (each restricted field spelled out as its
exact values), so the sets validated here are exactly the minutes that fire. When both
day fields are restricted, a day matching either fires (cron's rule). Times are walked
over wall-clock time in the entry's IANA ``timezone`` (UTC without one) and placed on the
time line: a wall time in a DST gap fires at the first valid minute after the gap
(several slots in one gap fire once); a wall time that exists twice fires once, at its
first occurrence.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from conveyor.errors import UserError

_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
_NUMBER = re.compile(r"[0-9]+\Z")
_NOT_GITHUB = re.compile(r"[#LW?]", re.IGNORECASE)
_MAX_GAP_MINUTES = 24 * 60


@dataclass(frozen=True, slots=True)
class _Field:
    what: str
    lo: int
    hi: int
    names: tuple[str, ...] = ()


_FIELDS = (
    _Field("minute", 0, 59),
    _Field("hour", 0, 23),
    _Field("day of month", 1, 31),
    _Field("month", 1, 12, _MONTHS),
    _Field("day of week", 0, 6, _DAYS),
)


class CronError(UserError):
    """A cron line GitHub refuses; ``offset`` is the 0-based position of the bad part."""

    def __init__(self, message: str, offset: int = 0, text: str = "") -> None:
        super().__init__(f"invalid cron {text!r}: {message}")
        self.message = message
        self.offset = offset


@dataclass(frozen=True, slots=True)
class Cron:
    """A cron line GitHub accepts: per field, the exact values it allows."""

    text: str
    values: tuple[frozenset[int], ...]  # minute, hour, day of month, month, day of week
    any: tuple[bool, ...]  # the field is a bare ``*``

    def normalised(self) -> str:
        """The same schedule with every restricted field spelled out (what croniter walks)."""
        return " ".join(
            "*" if star else ",".join(str(v) for v in sorted(values))
            for values, star in zip(self.values, self.any, strict=True)
        )


def _hint(text: str, field: _Field) -> str:
    if _NOT_GITHUB.search(text):
        return " (GitHub's cron has no L, W, # or ? operators)"
    if field.what == "day of week" and text == "7":
        return " (use 0 or SUN for Sunday)"
    return ""


def _value(text: str, field: _Field) -> int:
    if _NUMBER.match(text):
        number = int(text)
        if not field.lo <= number <= field.hi:
            raise ValueError(
                f"{field.what} value {number} is out of range {field.lo}-{field.hi}"
                + _hint(text, field)
            )
        return number
    if field.names and text.upper() in field.names:
        return field.names.index(text.upper()) + field.lo
    allowed = f"a number {field.lo}-{field.hi}"
    if field.names:
        allowed += f" or a name {field.names[0]}-{field.names[-1]}"
    raise ValueError(f"{field.what} value '{text}' is not {allowed}" + _hint(text, field))


def _item(item: str, field: _Field) -> set[int]:
    """The values one list item allows; ``ValueError`` when GitHub refuses it."""
    if not item:
        raise ValueError(f"{field.what} has an empty list item")
    base, slash, step_text = item.partition("/")
    step = 1
    if slash:
        if "/" in step_text:
            raise ValueError(f"{field.what} item '{item}' has more than one '/'")
        if not base:
            raise ValueError(f"{field.what} step '{item}' has nothing before the '/'")
        if not _NUMBER.match(step_text) or not 1 <= int(step_text) <= field.hi:
            raise ValueError(
                f"{field.what} step '/{step_text}' must be a number 1-{field.hi}"
                + _hint(step_text, field)
            )
        step = int(step_text)
    if base == "*":
        first, last = field.lo, field.hi
    elif "-" in base:
        parts = base.split("-")
        if len(parts) != 2 or not all(parts):
            raise ValueError(f"{field.what} range '{base}' must be START-END")
        if "*" in parts:
            raise ValueError(f"{field.what} range '{base}' may not contain '*'")
        first, last = (_value(p, field) for p in parts)
        if first > last:
            raise ValueError(f"{field.what} range '{base}' runs backwards")
    else:
        first = _value(base, field)
        last = field.hi if slash else first
    return set(range(first, last + 1, step))


def _field(line: str, text: str, field: _Field, start: int) -> frozenset[int]:
    values: set[int] = set()
    pos = start
    for item in text.split(","):
        try:
            values |= _item(item, field)
        except ValueError as exc:
            raise CronError(str(exc), pos, line) from None
        pos += len(item) + 1
    return frozenset(values)


def parse_cron(text: str) -> Cron:
    """The :class:`Cron` for ``text``; :class:`CronError` when GitHub refuses the line."""
    starts = [0] + [m.end() for m in re.finditer(r" +", text)]
    parts = re.split(r" +", text)
    if len(parts) != len(_FIELDS) or not all(parts):
        words = [(m.start(), m.group()) for m in re.finditer(r"\S+", text)]
        if len(words) == len(_FIELDS):
            raise CronError(
                "cron fields must be separated by spaces only, with none before or after",
                0,
                text,
            )
        raise CronError(
            "cron needs exactly 5 fields (minute hour day-of-month month day-of-week), "
            f"got {len(words)}",
            words[0][0] if words else 0,
            text,
        )
    values = tuple(
        _field(text, part, field, start)
        for part, field, start in zip(parts, _FIELDS, starts, strict=True)
    )
    return Cron(text, values, tuple(part == "*" for part in parts))


def check_cron(text: str) -> None:
    """Raise :class:`CronError` unless GitHub accepts ``text`` as an ``on.schedule`` cron."""
    parse_cron(text)


def zone(name: str | None) -> tzinfo:
    """The zone for an IANA name (UTC when None or empty); :class:`UserError` when unknown."""
    if not name:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise UserError(f"unknown time zone {name!r}; use an IANA name like Asia/Bangkok") from exc


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


def fire_times(cron: str | Cron, tz_name: str | None, after: datetime) -> Iterator[datetime]:
    """Every fire time strictly after ``after`` (aware), in UTC, ascending, without repeats.

    Ends when the line can never fire again (e.g. ``0 0 30 2 *``).
    """
    parsed = cron if isinstance(cron, Cron) else parse_cron(cron)
    tz = zone(tz_name)
    after_utc = after.astimezone(UTC)
    # Start three hours early in wall time so slots in an overlap or gap are not skipped.
    start = after_utc.astimezone(tz).replace(tzinfo=None) - timedelta(hours=3)
    from croniter import CroniterBadDateError, croniter  # only to walk a schedule

    walker = croniter(parsed.normalised(), start)
    last: datetime | None = None
    while True:
        try:
            wall = walker.get_next(datetime)
        except CroniterBadDateError:
            return
        when = place(wall, tz)
        if when <= after_utc or (last is not None and when <= last):
            continue
        last = when
        yield when


def next_fire_times(
    cron: str | Cron, tz_name: str | None, after: datetime, count: int = 5
) -> list[datetime]:
    """The next ``count`` fire times after ``after``, in UTC (fewer if it stops firing)."""
    return list(itertools.islice(fire_times(cron, tz_name, after), count))


def latest_fire_time(
    cron: str | Cron, tz_name: str | None, at: datetime, within: timedelta
) -> datetime | None:
    """The last fire time in ``(at - within, at]``, or None."""
    result: datetime | None = None
    for when in fire_times(cron, tz_name, at - within):
        if when > at:
            break
        result = when
    return result
