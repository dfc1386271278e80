"""The pages' templates (Jinja2, autoescaped) and the filters they use."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from conveyor.reporting.durations import format_bytes, format_duration

STATUS_CLASSES = {
    "success": "ok",
    "passed": "ok",
    "approved": "ok",
    "live": "ok",
    "failure": "bad",
    "failed": "bad",
    "error": "bad",
    "rejected": "bad",
    "timed_out": "bad",
    "startup_failure": "bad",
    "cancelled": "muted",
    "skipped": "muted",
    "neutral": "muted",
    "interrupted": "bad",
    "rolled_back": "warn",
    "flaky": "warn",
    "waiting": "warn",
    "queued": "warn",
    "in_progress": "run",
    "running": "run",
}


def when(value: float | None) -> str:
    """A POSIX time as ``2026-12-04 22:41 UTC``."""
    if value is None:
        return "-"
    return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%d %H:%M UTC")


def iso(value: float | None) -> str:
    if value is None:
        return ""
    return datetime.fromtimestamp(value, UTC).isoformat(timespec="seconds")


def status_class(status: str | None) -> str:
    return STATUS_CLASSES.get(status or "", "muted")


def percent(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f} %"


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("conveyor.dashboard", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        duration=format_duration,
        bytes=format_bytes,
        when=when,
        iso=iso,
        status_class=status_class,
        percent=percent,
    )
    return env


def page(template: str, **values: Any) -> str:
    return environment().get_template(template).render(**values)


def markup(html: str) -> Markup:
    """HTML this package built itself (SVG charts, sanitised Markdown)."""
    return Markup(html)
