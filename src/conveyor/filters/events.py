"""Does a ``push`` or ``pull_request`` event pass a workflow's ``on.<event>`` filters?

GitHub's rules, as documented for ``on.push`` and ``on.pull_request``:

* ``branches``/``branches-ignore`` match the branch name (``refs/heads/<name>``),
  ``tags``/``tags-ignore`` the tag name (``refs/tags/<name>``).
* Defining only tag filters means branch pushes don't run the workflow, and vice versa;
  defining neither runs it for both.
* Path filters are not evaluated for tag pushes. When both ref and path filters are
  given, both must pass.
* For pull requests, ``branches`` match the *base* branch, and the activity types
  default to ``opened``, ``synchronize`` and ``reopened``.

A filter value may be a list of patterns or a single string; a key present with a
null value (``tags:``) counts as not given.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from conveyor.filters.match import MAX_CHANGED_FILES, paths_filter_allows, ref_filter_allows
from conveyor.filters.pattern import FilterPatternError

DEFAULT_PR_TYPES: tuple[str, ...] = ("opened", "synchronize", "reopened")
_HEADS = "refs/heads/"
_TAGS = "refs/tags/"


@dataclass(frozen=True, slots=True)
class EventFilterResult:
    """Whether the event fires the workflow; ``reason`` names the filter that decided."""

    fires: bool
    reason: str


def _patterns(config: Mapping[str, Any], key: str) -> list[str] | None:
    value = config.get(key)
    if value is None:
        return None
    if isinstance(value, str):
        return [value]
    if isinstance(value, Sequence):
        return [str(v) for v in value]
    raise FilterPatternError(f"'{key}' must be a list of patterns or a string", column=1)


def _ref_check(
    config: Mapping[str, Any], key: str, name: str, what: str
) -> EventFilterResult | None:
    """Apply ``key``/``key-ignore`` to ``name``; None when it passes."""
    include = _patterns(config, key)
    ignore = _patterns(config, f"{key}-ignore")
    if include is not None and ignore is not None:
        return EventFilterResult(False, f"invalid filter: both '{key}' and '{key}-ignore' given")
    if ref_filter_allows(include, ignore, name):
        return None
    if include is not None:
        return EventFilterResult(False, f"{what} '{name}' does not match '{key}' filter")
    return EventFilterResult(False, f"{what} '{name}' matches '{key}-ignore' filter")


def _paths_check(
    config: Mapping[str, Any], changed_files: Sequence[str] | None
) -> EventFilterResult:
    include = _patterns(config, "paths")
    ignore = _patterns(config, "paths-ignore")
    if include is None and ignore is None:
        return EventFilterResult(True, "")
    if include is not None and ignore is not None:
        return EventFilterResult(False, "invalid filter: both 'paths' and 'paths-ignore' given")
    key = "paths" if include is not None else "paths-ignore"
    if changed_files is None:
        return EventFilterResult(True, f"'{key}' filter not evaluated: changed files unknown")
    if not changed_files:
        return EventFilterResult(False, f"'{key}' filter: no changed files")
    if paths_filter_allows(include, ignore, changed_files):
        return EventFilterResult(True, "")
    limit = f" (first {MAX_CHANGED_FILES})" if len(changed_files) > MAX_CHANGED_FILES else ""
    if include is not None:
        return EventFilterResult(False, f"no changed file{limit} matches 'paths' filter")
    return EventFilterResult(False, f"every changed file{limit} matches 'paths-ignore' filter")


def _guard(check: Any) -> EventFilterResult:
    try:
        result: EventFilterResult = check()
    except FilterPatternError as exc:
        return EventFilterResult(False, f"invalid filter pattern: {exc}")
    return result


def check_push_filters(
    config: Mapping[str, Any] | None, *, ref: str, changed_files: Sequence[str] | None
) -> EventFilterResult:
    """Whether a push to ``ref`` (``refs/heads/x`` or ``refs/tags/x``) fires the workflow.

    ``changed_files`` None means unknown: path filters are then treated as matching,
    and the reason says so.
    """
    cfg: Mapping[str, Any] = config or {}

    def check() -> EventFilterResult:
        has_branch = cfg.get("branches") is not None or cfg.get("branches-ignore") is not None
        has_tag = cfg.get("tags") is not None or cfg.get("tags-ignore") is not None
        if ref.startswith(_TAGS):
            name = ref[len(_TAGS) :]
            if has_tag:
                stop = _ref_check(cfg, "tags", name, "tag")
                if stop is not None:
                    return stop
                return EventFilterResult(True, "")
            if has_branch:
                return EventFilterResult(False, "only branch filters are defined; tag pushes skip")
            return EventFilterResult(True, "")
        if ref.startswith(_HEADS):
            name = ref[len(_HEADS) :]
            if has_branch:
                stop = _ref_check(cfg, "branches", name, "branch")
                if stop is not None:
                    return stop
            elif has_tag:
                return EventFilterResult(False, "only tag filters are defined; branch pushes skip")
            return _paths_check(cfg, changed_files)
        if has_branch or has_tag:
            return EventFilterResult(False, f"ref '{ref}' is neither a branch nor a tag")
        return _paths_check(cfg, changed_files)

    return _guard(check)


def check_pull_request_filters(
    config: Mapping[str, Any] | None,
    *,
    base_ref: str,
    action: str,
    changed_files: Sequence[str] | None,
) -> EventFilterResult:
    """Whether a pull request event (``action``) targeting ``base_ref`` fires the workflow."""
    cfg: Mapping[str, Any] = config or {}

    def check() -> EventFilterResult:
        types = _patterns(cfg, "types")
        allowed = tuple(types) if types is not None else DEFAULT_PR_TYPES
        if action not in allowed:
            return EventFilterResult(
                False, f"activity type '{action}' not in types [{', '.join(allowed)}]"
            )
        name = base_ref.removeprefix(_HEADS)
        stop = _ref_check(cfg, "branches", name, "base branch")
        if stop is not None:
            return stop
        return _paths_check(cfg, changed_files)

    return _guard(check)
