"""Find the line and column of an offset inside a scalar's value.

The loader knows where each scalar starts. Inside it, quoting, block scalars
(``|``/``>``) and folded plain scalars move text around, so we find the source
text that follows the offset (the k-th occurrence after the scalar's start) and
fall back to ``start + offset`` on one line when it cannot be found.
"""

from __future__ import annotations

import bisect

from conveyor.workflow.checks.base import get
from conveyor.workflow.yamlload import Document, Path

_NEEDLE = 48


def _line_starts(text: str) -> list[int]:
    starts = [0]
    idx = text.find("\n")
    while idx >= 0:
        starts.append(idx + 1)
        idx = text.find("\n", idx + 1)
    return starts


def _occurrences(haystack: str, needle: str, before: int) -> int:
    count = 0
    idx = haystack.find(needle)
    while 0 <= idx < before:
        count += 1
        idx = haystack.find(needle, idx + 1)
    return count


def _find(text: str, needle: str, start: int, skip: int) -> int:
    idx = start - 1
    for _ in range(skip + 1):
        idx = text.find(needle, idx + 1)
        if idx < 0:
            return -1
    return idx


def locate(doc: Document, path: Path, offset: int) -> tuple[int, int]:
    """1-based (line, col) of character ``offset`` of the string value at ``path``."""
    pos = doc.pos(path)
    value = get(doc.data, path)
    text = doc.text
    quoted = 0
    starts = _line_starts(text) if text else [0]
    if pos.line - 1 < len(starts):
        start = starts[pos.line - 1] + pos.col - 1
        if start < len(text) and text[start] in "'\"":
            quoted = 1
    else:
        start = -1
    if isinstance(value, str) and text and start >= 0 and 0 <= offset <= len(value):
        after = value[offset:].split("\n", 1)[0][:_NEEDLE]
        found = -1
        if after.strip():
            skip = _occurrences(value, after, offset)
            found = _find(text, after, start, skip)
        else:
            before = value[:offset].rsplit("\n", 1)[-1][-_NEEDLE:]
            if before.strip():
                skip = _occurrences(value, before, offset - len(before))
                idx = _find(text, before, start, skip)
                found = idx + len(before) if idx >= 0 else -1
        if found >= 0:
            line = bisect.bisect_right(starts, found)
            return line, found - starts[line - 1] + 1
    return pos.line, pos.col + quoted + offset
