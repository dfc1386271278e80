"""GitHub's filter patterns for ``branches``/``tags``/``paths`` (and their ``-ignore`` forms).

Pure: stdlib only. See :mod:`conveyor.filters.pattern` for the pattern grammar,
:mod:`conveyor.filters.match` for ordered lists and :mod:`conveyor.filters.events`
for the ``push``/``pull_request`` rules.
"""

from __future__ import annotations

from conveyor.filters.events import (
    DEFAULT_PR_TYPES,
    EventFilterResult,
    check_pull_request_filters,
    check_push_filters,
)
from conveyor.filters.match import (
    MAX_CHANGED_FILES,
    matches_any,
    paths_filter_allows,
    ref_filter_allows,
)
from conveyor.filters.pattern import FilterKind, FilterPatternError, compile_filter

__all__ = [
    "DEFAULT_PR_TYPES",
    "MAX_CHANGED_FILES",
    "EventFilterResult",
    "FilterKind",
    "FilterPatternError",
    "check_pull_request_filters",
    "check_push_filters",
    "compile_filter",
    "matches_any",
    "paths_filter_allows",
    "ref_filter_allows",
]
