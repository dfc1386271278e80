"""Render a :class:`Report` as markdown (the nightly format), JSON or HTML (autoescaped).

Markdown and HTML come from the Jinja2 templates next to this module.
"""

from __future__ import annotations

import dataclasses
import json
import re
import time
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from conveyor.reporting.durations import format_duration
from conveyor.reporting.model import Report, TierTotals

FORMATS = ("md", "json", "html")
_TEMPLATES = Path(__file__).resolve().parent / "templates"
_ICONS = {"passed": "✅", "failed": "❌"}


def _md_cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _code_block(lines: list[str], indent: str = "") -> str:
    """``lines`` as a fenced block, the fence longer than any backtick run inside."""
    longest = max((len(run) for line in lines for run in re.findall(r"`+", line)), default=0)
    fence = "`" * max(3, longest + 1)
    body = [fence + "text", *lines, fence]
    return "\n".join(indent + line for line in body)


def _when(stamp: float | None) -> str:
    if stamp is None:
        return "-"
    return time.strftime("%Y-%m-%d %H:%M %Z", time.localtime(stamp))


@cache
def _environment(autoescape: bool) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(_TEMPLATES)),
        autoescape=autoescape,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["duration"] = format_duration
    env.filters["md_cell"] = _md_cell
    env.filters["code_block"] = _code_block
    env.filters["when"] = _when
    env.globals["icons"] = _ICONS
    return env


def _tier_dict(tier: TierTotals) -> dict[str, Any]:
    """A tier's counts; ``duration`` is its wall time, with the summed ``test_time`` beside
    it when the wall time was recorded (else ``duration`` is the summed test time)."""
    data = dataclasses.asdict(tier)
    del data["wall_time"]
    if tier.wall_time is not None:
        data["duration"] = tier.wall_time
        data["test_time"] = tier.duration
    data["total"] = tier.total
    return data


def report_dict(report: Report) -> dict[str, Any]:
    """JSON-ready data: the report plus totals and each failure's location."""
    data = dataclasses.asdict(report)
    data["totals"] = _tier_dict(report.totals())
    for item, failure in zip(data["failures"], report.failures, strict=True):
        item["location"] = failure.location
    data["tiers"] = [_tier_dict(tier) for tier in report.tiers]
    return data


def render(report: Report, fmt: str = "md", *, report_url: str | None = None) -> str:
    if fmt == "json":
        return json.dumps(report_dict(report), indent=2) + "\n"
    if fmt not in FORMATS:
        raise ValueError(f"unknown report format {fmt!r} (expected md, json or html)")
    template = _environment(fmt == "html").get_template(f"report.{fmt}.j2")
    return template.render(r=report, totals=report.totals(), report_url=report_url or "")


def headline(report: Report) -> str:
    """One line: ``❌ Nightly build FAILED (run 12): 120 passed, 3 failed, 18 skipped``."""
    t = report.totals()
    name = report.workflow or "Tests"
    parts = [f"{t.passed} passed", f"{t.failed} failed", f"{t.skipped} skipped"]
    if t.flaky:
        parts.append(f"{t.flaky} flaky")
    return (
        f"{_ICONS[report.verdict]} {name} {report.verdict.upper()} (run {report.run_id}): "
        + ", ".join(parts)
    )
