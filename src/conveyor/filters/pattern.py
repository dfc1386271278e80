"""Compile one GitHub filter pattern (branches/tags/paths) to a regular expression.

The grammar follows GitHub's "Filter pattern cheat sheet":

* ``*`` matches zero or more characters except ``/``;
* ``**`` matches zero or more of any character; ``**/`` also matches nothing at all,
  so ``**/README.md`` matches ``README.md`` and ``docs/**/*.md`` matches ``docs/a.md``;
* ``?`` makes the preceding character (or ``[...]`` set) optional;
* ``+`` matches one or more of the preceding character (or set);
* ``[...]`` matches one character from a set; ranges may only be ``a-z``, ``A-Z``
  or ``0-9`` (or sub-ranges of them);
* ``\\`` escapes the next character, so it is matched literally.

A leading ``!`` (negation) is not part of a single pattern: :func:`split_negation`
removes it and :mod:`conveyor.filters.match` applies it. Patterns always match the
whole value. Errors carry a 1-based column into the text the user wrote.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Literal

FilterKind = Literal["ref", "path"]
KINDS: frozenset[str] = frozenset({"ref", "path"})

_RANGE_CLASSES: tuple[tuple[str, str], ...] = (("a", "z"), ("A", "Z"), ("0", "9"))


class FilterPatternError(ValueError):
    """A filter pattern is not valid; ``column`` is 1-based in the pattern text."""

    def __init__(self, message: str, *, pattern: str = "", column: int = 1) -> None:
        super().__init__(f"{message} (column {column} of {pattern!r})" if pattern else message)
        self.message = message
        self.pattern = pattern
        self.column = column


def split_negation(pattern: str) -> tuple[bool, str]:
    """Return ``(negated, body)``: a leading ``!`` negates, anywhere else it is literal."""
    if pattern.startswith("!"):
        return True, pattern[1:]
    return False, pattern


def _range_ok(lo: str, hi: str) -> bool:
    return lo <= hi and any(a <= lo <= b and a <= hi <= b for a, b in _RANGE_CLASSES)


def _parse_set(text: str, start: int, offset: int, pattern: str) -> tuple[str, int]:
    """Parse ``[...]`` starting at ``text[start] == '['``; return (regex, index after ']')."""
    i = start + 1
    items: list[str] = []
    while i < len(text) and text[i] != "]":
        ch = text[i]
        col = offset + i + 1
        if ch == "\\":
            if i + 1 >= len(text):
                raise FilterPatternError(
                    "dangling '\\' at end of pattern", pattern=pattern, column=col
                )
            ch = text[i + 1]
            i += 1
        if i + 2 < len(text) and text[i + 1] == "-" and text[i + 2] != "]":
            hi = text[i + 2]
            if not _range_ok(ch, hi):
                raise FilterPatternError(
                    f"invalid range '{ch}-{hi}' (ranges may only be within a-z, A-Z or 0-9)",
                    pattern=pattern,
                    column=col,
                )
            items.append(f"{re.escape(ch)}-{re.escape(hi)}")
            i += 3
            continue
        items.append(re.escape(ch))
        i += 1
    if i >= len(text):
        raise FilterPatternError("unclosed '['", pattern=pattern, column=offset + start + 1)
    if not items:
        raise FilterPatternError("empty '[]' set", pattern=pattern, column=offset + start + 1)
    return "[" + "".join(items) + "]", i + 1


def pattern_to_regex(body: str, *, offset: int = 0, pattern: str | None = None) -> str:
    """Translate a pattern body (no leading ``!``) to an unanchored regex string.

    ``offset`` is added to error columns (1 when the body follows a ``!``);
    ``pattern`` is the full text named in errors.
    """
    full = body if pattern is None else pattern
    if not body:
        raise FilterPatternError("empty pattern", pattern=full, column=offset + 1)
    out: list[str] = []
    can_repeat = False  # whether the last emitted atom is a single char or set
    i = 0
    while i < len(body):
        ch = body[i]
        col = offset + i + 1
        if ch == "\\":
            if i + 1 >= len(body):
                raise FilterPatternError(
                    "dangling '\\' at end of pattern", pattern=full, column=col
                )
            out.append(re.escape(body[i + 1]))
            can_repeat = True
            i += 2
        elif ch == "*":
            if body.startswith("**", i):
                if body.startswith("**/", i):
                    out.append("(?:.*/)?")
                    i += 3
                else:
                    out.append(".*")
                    i += 2
            else:
                out.append("[^/]*")
                i += 1
            can_repeat = False
        elif ch in "?+":
            if not can_repeat:
                raise FilterPatternError(
                    f"'{ch}' must follow a character or a '[...]' set", pattern=full, column=col
                )
            out.append(ch)
            can_repeat = False
            i += 1
        elif ch == "[":
            regex, i = _parse_set(body, i, offset, full)
            out.append(regex)
            can_repeat = True
        else:
            out.append(re.escape(ch))
            can_repeat = True
            i += 1
    return "".join(out)


@lru_cache(maxsize=4096)
def compile_filter(pattern: str, *, kind: FilterKind) -> re.Pattern[str]:
    """Compile one positive pattern (a leading ``!`` is literal here) to a full-match regex.

    Raises :class:`FilterPatternError` for an empty pattern, an unclosed ``[``, a bad
    range, a dangling ``\\`` or a ``?``/``+`` with nothing to repeat. Results are cached.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown filter kind {kind!r}; expected 'ref' or 'path'")
    return re.compile(pattern_to_regex(pattern) + r"\Z", re.DOTALL)
