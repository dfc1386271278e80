"""Checks on ``on:``: event names, filters (glob, conflicts), cron, and inputs."""

from __future__ import annotations

import difflib
from typing import Any, Literal

from conveyor.errors import UserError
from conveyor.filters import FilterPatternError, compile_filter
from conveyor.filters.pattern import split_negation
from conveyor.workflow.checks.base import CheckContext, str_items
from conveyor.workflow.checks.locate import locate
from conveyor.workflow.cron import CronError, check_cron, zone
from conveyor.workflow.model.common import scalar_text
from conveyor.workflow.model.events import ACTIVITY_TYPES, EVENT_NAMES, event_keys
from conveyor.workflow.yamlload import Path

_FILTERS: dict[str, Literal["ref", "path"]] = {
    "branches": "ref",
    "branches-ignore": "ref",
    "tags": "ref",
    "tags-ignore": "ref",
    "paths": "path",
    "paths-ignore": "path",
}


def _event_names(ctx: CheckContext, on: Any) -> None:
    for index, name in str_items(on):
        if name in EVENT_NAMES:
            continue
        path: Path = ("on",) if index is None else ("on", index)
        close = difflib.get_close_matches(name, sorted(EVENT_NAMES), n=1)
        hint = f"did you mean '{close[0]}'?" if close else "see GitHub's list of workflow events"
        ctx.error(path, f"unknown event '{name}' in 'on'; {hint}", "unknown-key")


def _filters(ctx: CheckContext, event: str, config: dict[str, Any]) -> None:
    base: Path = ("on", event)
    for key in ("branches", "tags", "paths"):
        if config.get(key) is not None and config.get(f"{key}-ignore") is not None:
            ctx.error(
                (*base, f"{key}-ignore"),
                f"event '{event}' has both '{key}' and '{key}-ignore'; use only '{key}' "
                f"and exclude with '!pattern' entries",
                "filter-conflict",
                at_key=True,
            )
    for key, kind in _FILTERS.items():
        for index, pattern in str_items(config.get(key)):
            path: Path = (*base, key) if index is None else (*base, key, index)
            negated, body = split_negation(pattern)
            try:
                compile_filter(body, kind=kind)
            except FilterPatternError as exc:
                line, col = locate(ctx.doc, path, int(negated) + max(exc.column, 1) - 1)
                ctx.error_at(
                    line,
                    col,
                    f"invalid {key} pattern '{pattern}': {exc.message}; "
                    "escape special characters with '\\'",
                    "glob",
                )


def _schedule(ctx: CheckContext, items: Any) -> None:
    if not isinstance(items, list):
        return
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            continue
        cron = item.get("cron")
        if isinstance(cron, str):
            try:
                check_cron(cron)
            except CronError as exc:
                line, col = locate(ctx.doc, ("on", "schedule", i, "cron"), exc.offset)
                ctx.error_at(line, col, f"invalid cron '{cron}': {exc.message}", "cron")
        tz = item.get("timezone")
        if isinstance(tz, str):
            try:
                if not tz:
                    raise UserError("empty time zone")
                zone(tz)
            except UserError:
                ctx.error(
                    ("on", "schedule", i, "timezone"),
                    f"unknown time zone '{tz}'; use an IANA name like 'Europe/Berlin'",
                    "cron",
                )


def _call_inputs(ctx: CheckContext, inputs: Any) -> None:
    if not isinstance(inputs, dict):
        return
    for name, spec in inputs.items():
        if spec is None or (isinstance(spec, dict) and "type" not in spec):
            ctx.error(
                ("on", "workflow_call", "inputs", name),
                f"workflow_call input '{name}' has no 'type'; add 'type: string', "
                "'type: boolean' or 'type: number'",
                "workflow-call-input-type",
                at_key=True,
            )


def _settings(ctx: CheckContext, event: str, config: dict[str, Any]) -> None:
    """GitHub ignores settings it does not know and activity types an event does not
    have; both are almost always typos, so they are warnings."""
    known = event_keys(event)
    for key in config:
        if key in known:
            continue
        close = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.6)
        hint = f"did you mean '{close[0]}'?" if close else "GitHub ignores it, remove it"
        ctx.warning(
            ("on", event, key),
            f"unknown key '{key}' in event '{event}'; {hint}",
            "unknown-key",
            at_key=True,
        )
    allowed = ACTIVITY_TYPES.get(event)
    if allowed is None:
        return
    for index, kind in str_items(config.get("types")):
        if kind in allowed:
            continue
        path: Path = ("on", event, "types") if index is None else ("on", event, "types", index)
        close = difflib.get_close_matches(kind, allowed, n=1)
        hint = f"did you mean '{close[0]}'?" if close else f"use one of: {', '.join(allowed)}"
        ctx.warning(
            path,
            f"'{kind}' is not an activity type of event '{event}', so it never matches; {hint}",
            "event-type",
        )


def _dispatch_inputs(ctx: CheckContext, inputs: Any) -> None:
    if not isinstance(inputs, dict):
        return
    for name, spec in inputs.items():
        if not isinstance(spec, dict):
            continue
        base: Path = ("on", "workflow_dispatch", "inputs", name)
        kind = spec.get("type", "string")
        if "options" in spec and kind != "choice":
            ctx.error(
                (*base, "options"),
                f"input '{name}' has 'options' but is of type {kind}; add 'type: choice' or "
                "remove the options",
                "dispatch-choice",
                at_key=True,
            )
        if kind == "boolean" and "default" in spec and not isinstance(spec["default"], bool):
            ctx.error(
                (*base, "default"),
                f"default of boolean input '{name}' must be true or false",
                "type",
            )
        if kind != "choice":
            continue
        options = spec.get("options")
        if not isinstance(options, list) or not options:
            ctx.error(
                (*base, "type"),
                f"choice input '{name}' has no 'options'; list the allowed values under 'options'",
                "dispatch-choice",
            )
            continue
        default = spec.get("default")
        if default is not None and default not in options:
            allowed = ", ".join(repr(o) for o in options)
            ctx.error(
                (*base, "default"),
                f"default {default!r} of choice input '{name}' is not one of its options "
                f"({allowed}); pick one of them",
                "dispatch-choice",
            )


def check_events(ctx: CheckContext) -> None:
    if not isinstance(ctx.data, dict):
        return
    on = ctx.data.get("on")
    if isinstance(on, bool | int | float):
        on = scalar_text(on)
    if isinstance(on, str | list):
        _event_names(ctx, on)
        return
    if not isinstance(on, dict):
        return
    for event, config in on.items():
        if event == "schedule":
            _schedule(ctx, config)
        elif isinstance(config, dict):
            if event in EVENT_NAMES and event != "workflow_call":
                _settings(ctx, event, config)
            _filters(ctx, event, config)
            if event == "workflow_call":
                _call_inputs(ctx, config.get("inputs"))
            elif event == "workflow_dispatch":
                _dispatch_inputs(ctx, config.get("inputs"))
