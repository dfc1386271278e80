"""Ordered pattern lists: ``!`` negation, last match wins, include/ignore pairs.

A list of patterns is compiled once into a single regular expression whose
alternatives are the patterns in *reverse* order, each in its own named group:
the first alternative that matches the whole value is the last pattern in the
list that matches it, so one regex call decides "last match wins".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from conveyor.filters.pattern import (
    KINDS,
    FilterKind,
    FilterPatternError,
    pattern_to_regex,
    split_negation,
)

MAX_CHANGED_FILES = 300
"""GitHub only looks at the first 300 changed files when it evaluates path filters."""


@dataclass(frozen=True, slots=True)
class CompiledList:
    """A compiled ordered pattern list; ``negated[i]`` is whether group ``g{i}`` negates."""

    regex: re.Pattern[str] | None
    negated: tuple[bool, ...]

    def matches(self, value: str) -> bool:
        if self.regex is None:
            return False
        m = self.regex.match(value)
        if m is None or m.lastgroup is None:
            return False
        return not self.negated[int(m.lastgroup[1:])]


@lru_cache(maxsize=1024)
def compile_list(patterns: tuple[str, ...], kind: FilterKind) -> CompiledList:
    """Compile an ordered list of patterns (cached); raises :class:`FilterPatternError`."""
    if kind not in KINDS:
        raise ValueError(f"unknown filter kind {kind!r}; expected 'ref' or 'path'")
    parts: list[str] = []
    negated: list[bool] = []
    for index in range(len(patterns) - 1, -1, -1):
        pattern = patterns[index]
        if not isinstance(pattern, str):
            raise FilterPatternError(f"pattern must be a string, got {pattern!r}", column=1)
        neg, body = split_negation(pattern)
        regex = pattern_to_regex(body, offset=1 if neg else 0, pattern=pattern)
        parts.append(f"(?P<g{len(negated)}>{regex})")
        negated.append(neg)
    if not parts:
        return CompiledList(None, ())
    combined = re.compile("(?:" + "|".join(parts) + r")\Z", re.DOTALL)
    return CompiledList(combined, tuple(negated))


def matches_any(patterns: Sequence[str], value: str, *, kind: FilterKind) -> bool:
    """Whether ``value`` is selected by the ordered ``patterns``.

    Patterns are read in order; a pattern starting with ``!`` excludes what it
    matches, a later positive pattern includes it again: the last matching
    pattern decides. A value no pattern matches is not selected, so a list made
    only of ``!`` patterns selects nothing.
    """
    return compile_list(tuple(patterns), kind).matches(value)


def ref_filter_allows(
    include: Sequence[str] | None, ignore: Sequence[str] | None, name: str
) -> bool:
    """Apply a ``branches``/``branches-ignore`` (or ``tags``/``tags-ignore``) pair to ``name``.

    Neither given: allowed. ``include`` given: allowed when it selects ``name``.
    ``ignore`` given: allowed unless it selects ``name``. Both given is a workflow error
    (GitHub rejects it) and raises ``ValueError``.
    """
    if include is not None and ignore is not None:
        raise ValueError("cannot use both an include filter and its -ignore filter for one event")
    if include is not None:
        return matches_any(include, name, kind="ref")
    if ignore is not None:
        return not matches_any(ignore, name, kind="ref")
    return True


def paths_filter_allows(
    include: Sequence[str] | None, ignore: Sequence[str] | None, changed: Sequence[str]
) -> bool:
    """Apply a ``paths``/``paths-ignore`` pair to the changed files.

    Only the first 300 changed files count. ``paths``: runs when ANY of them is
    selected. ``paths-ignore``: skips only when ALL of them are selected. With a
    path filter and no changed files the workflow does not run. Both given raises
    ``ValueError`` (GitHub rejects it).
    """
    if include is not None and ignore is not None:
        raise ValueError("cannot use both 'paths' and 'paths-ignore' for one event")
    if include is None and ignore is None:
        return True
    files = changed[:MAX_CHANGED_FILES]
    if include is not None:
        selected = compile_list(tuple(include), "path")
        return any(selected.matches(f) for f in files)
    assert ignore is not None
    ignored = compile_list(tuple(ignore), "path")
    return any(not ignored.matches(f) for f in files)
