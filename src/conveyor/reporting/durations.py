"""Durations written by people: ``90``, ``"90s"``, ``"15m"``, ``"2h"``, ``"30d"``, ``"1h30m"``."""

from __future__ import annotations

import re

_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw])")
_WHOLE = re.compile(r"(?:\s*\d+(?:\.\d+)?\s*[smhdw])+\s*")


def parse_duration(value: object) -> float:
    """Seconds in ``value``; raises ``ValueError`` with the accepted forms otherwise."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 90, '90s', '15m', '2h' or '30d'")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError("a duration cannot be negative")
        return float(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if re.fullmatch(r"\d+(?:\.\d+)?", text):
            return float(text)
        if text and _WHOLE.fullmatch(text):
            return sum(float(n) * _UNITS[u] for n, u in _PART.findall(text))
    raise ValueError(
        f"invalid duration {value!r}: expected seconds or a number with s, m, h, d or w "
        "(e.g. 90, '90s', '15m', '2h', '30d', '1h30m')"
    )


def format_duration(seconds: float | None) -> str:
    """``"1h 02m"``, ``"3m 05s"``, ``"4.2s"``; ``"-"`` when unknown."""
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.1f}s"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m {secs:02d}s"


def format_bytes(size: int) -> str:
    """``"512 B"``, ``"1.5 KiB"``, ``"3.2 MiB"``."""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"  # pragma: no cover
