"""Check ``schedule`` cron lines: GitHub's five-field POSIX syntax, then croniter."""

from __future__ import annotations

import re

from croniter import croniter

_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
_FIELDS: tuple[tuple[str, int, int, tuple[str, ...]], ...] = (
    ("minute", 0, 59, ()),
    ("hour", 0, 23, ()),
    ("day of month", 1, 31, ()),
    ("month", 1, 12, _MONTHS),
    ("day of week", 0, 6, _DAYS),
)
_ITEM = re.compile(r"(?P<base>\*|[^-/]+(?:-[^-/]+)?)(?:/(?P<step>.*))?\Z")


class CronError(ValueError):
    """``offset`` is the 0-based position in the cron text of the bad part."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


def _value(text: str, lo: int, hi: int, names: tuple[str, ...], what: str) -> int:
    if text.isdigit():
        number = int(text)
        if not lo <= number <= hi:
            raise ValueError(f"{what} value {number} is out of range {lo}-{hi}")
        return number
    if names and text.upper() in names:
        return names.index(text.upper()) + lo
    allowed = f"a number {lo}-{hi}" + (f" or a name like {names[0]}" if names else "")
    raise ValueError(f"{what} value '{text}' is not {allowed}")


def _check_field(text: str, index: int, start: int) -> None:
    what, lo, hi, names = _FIELDS[index]
    pos = start
    for item in text.split(","):
        try:
            if not item:
                raise ValueError(f"{what} has an empty list item")
            match = _ITEM.match(item)
            if not match:
                raise ValueError(f"{what} item '{item}' is not a value, range or step")
            base, step = match.group("base"), match.group("step")
            if base != "*":
                parts = base.split("-")
                values = [_value(p, lo, hi, names, what) for p in parts]
                if len(values) == 2 and values[0] > values[1]:
                    raise ValueError(f"{what} range '{base}' runs backwards")
            if step is not None and (not step.isdigit() or int(step) == 0):
                raise ValueError(f"{what} step '/{step}' must be a positive number")
        except ValueError as exc:
            raise CronError(str(exc), pos) from None
        pos += len(item) + 1


def check_cron(expr: str) -> None:
    """Raise :class:`CronError` when ``expr`` is not a cron line GitHub accepts."""
    fields = [(m.start(), m.group()) for m in re.finditer(r"\S+", expr)]
    if len(fields) != 5:
        raise CronError(
            f"cron needs exactly 5 fields (minute hour day-of-month month day-of-week), "
            f"got {len(fields)}",
            fields[0][0] if fields else 0,
        )
    for index, (start, text) in enumerate(fields):
        _check_field(text, index, start)
    try:
        croniter(expr)
    except (ValueError, KeyError) as exc:
        raise CronError(f"croniter rejects it: {exc}", 0) from None
