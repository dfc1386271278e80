"""Which workflows an event fires, and the ``github``/``inputs`` contexts it gives.

* The event must be listed under ``on:``.
* ``push``: branch/tag/path filters against ``payload.ref``.
* ``pull_request``/``pull_request_target``: activity types and base-branch/path
  filters against ``payload.action`` and ``payload.pull_request.base.ref``.
* ``workflow_run``: ``workflows``, ``types`` and branch filters.
* Any other event: its ``types`` (when given) must hold ``payload.action``.

Changed files are not known to the planner yet, so path filters are reported as
not evaluated.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from conveyor.filters import (
    MAX_CHANGED_FILES,
    EventFilterResult,
    FilterPatternError,
    check_pull_request_filters,
    check_push_filters,
    ref_filter_allows,
)
from conveyor.planner.github import dig, event_ref
from conveyor.planner.payloads import PULL_REQUEST_EVENTS


def as_list(value: Any) -> list[str] | None:
    if value is None:
        return None
    return [value] if isinstance(value, str) else [str(v) for v in value]


def _types_check(config: Mapping[str, Any], payload: Mapping[str, Any]) -> EventFilterResult:
    types = as_list(config.get("types"))
    action = payload.get("action")
    if types is None or action is None or action in types:
        return EventFilterResult(True, "")
    return EventFilterResult(False, f"activity type '{action}' not in types [{', '.join(types)}]")


def _workflow_run(config: Mapping[str, Any], payload: Mapping[str, Any]) -> EventFilterResult:
    run = payload.get("workflow_run")
    run = run if isinstance(run, Mapping) else {}
    workflows = as_list(config.get("workflows"))
    name = run.get("name")
    if workflows is not None and name is not None and name not in workflows:
        return EventFilterResult(False, f"workflow '{name}' not in 'workflows' filter")
    types = _types_check(config, payload)
    if not types.fires:
        return types
    branch = run.get("head_branch")
    if branch is None:
        return EventFilterResult(True, "")
    include = as_list(config.get("branches"))
    ignore = as_list(config.get("branches-ignore"))
    try:
        allowed = ref_filter_allows(include, ignore, str(branch))
    except (ValueError, FilterPatternError) as exc:
        return EventFilterResult(False, f"invalid filter: {exc}")
    if allowed:
        return EventFilterResult(True, "")
    return EventFilterResult(False, f"head branch '{branch}' does not pass the branch filters")


def _paths_reason(config: Mapping[str, Any], changed: Sequence[str]) -> str:
    include, ignore = config.get("paths"), config.get("paths-ignore")
    if not changed:
        return "paths: no changed files"
    limit = f" (of the first {MAX_CHANGED_FILES})" if len(changed) > MAX_CHANGED_FILES else ""
    if include is not None:
        return f"paths: no changed file{limit} matches [{', '.join(as_list(include) or [])}]"
    return f"paths-ignore: every changed file{limit} matches [{', '.join(as_list(ignore) or [])}]"


def _ref_and_path_filters(
    config: Mapping[str, Any],
    event: str,
    payload: Mapping[str, Any],
    changed_files: Sequence[str] | None,
) -> EventFilterResult:
    """push/pull_request filters; when only the path filters stop it, say which patterns."""

    def check(files: Sequence[str] | None) -> EventFilterResult:
        if event == "push":
            return check_push_filters(config, ref=event_ref(event, payload), changed_files=files)
        base = dig(payload, "pull_request", "base", "ref") or "main"
        action = payload.get("action") or "opened"
        return check_pull_request_filters(
            config, base_ref=str(base), action=str(action), changed_files=files
        )

    result = check(changed_files)
    if result.fires or changed_files is None or not check(None).fires:
        return result
    return EventFilterResult(False, _paths_reason(config, changed_files))


def event_fires(
    events: Mapping[str, Mapping[str, Any] | None],
    event: str,
    payload: Mapping[str, Any],
    changed_files: Sequence[str] | None = None,
) -> EventFilterResult:
    """Whether ``event`` with ``payload`` fires a workflow whose ``on:`` is ``events``.

    ``events`` maps each event under ``on:`` to its configuration as plain data
    (YAML keys, e.g. ``branches-ignore``), or None when it has none. ``changed_files``
    decides push/pull_request path filters (None: not known).
    """
    if event not in events:
        listed = ", ".join(events) or "none"
        return EventFilterResult(False, f"'{event}' is not one of its events ({listed})")
    config = events[event] or {}
    if event == "push" or event in PULL_REQUEST_EVENTS:
        return _ref_and_path_filters(config, event, payload, changed_files)
    if event == "workflow_run":
        return _workflow_run(config, payload)
    return _types_check(config, payload)
