"""Multi-line path patterns as actions/cache and upload-artifact accept them.

One pattern per line, relative to a base directory (``~`` expands to HOME); ``*``,
``?``, ``[...]`` and ``**`` (any number of directories); a line starting with ``!``
excludes. Later lines win over earlier ones. A pattern that matches a directory
matches everything below it. The *search path* of a pattern is its leading part
without wildcards; artifacts use it to decide the root of the stored paths.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from conveyor.actions.common import expand_user

_WILDCARD = re.compile(r"[*?\[]")


@dataclass(frozen=True, slots=True)
class PathPattern:
    text: str
    negate: bool
    regex: re.Pattern[str]
    search_path: Path  # the leading directories (or file) without wildcards


def _class_end(segment: str, start: int) -> int:
    """Index of the ``]`` closing the class opened at ``start``, or -1."""
    j = start + 1
    if segment[j : j + 1] in ("!", "^"):
        j += 1
    if segment[j : j + 1] == "]":
        j += 1
    return segment.find("]", j)


def _segment_regex(segment: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(segment):
        char = segment[i]
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[" and (end := _class_end(segment, i)) != -1:
            body = segment[i + 1 : end]
            negated = body[:1] in ("!", "^")
            body = (body[1:] if negated else body).replace("\\", "\\\\")
            out.append(("[^" if negated else "[") + body + "]")
            i = end
        else:
            out.append(re.escape(char))
        i += 1
    return "".join(out)


def compile_pattern(line: str, base: Path, env: Mapping[str, str]) -> PathPattern:
    text = line.strip()
    negate = text.startswith("!")
    raw = expand_user(text[1:].strip() if negate else text, env)
    absolute = Path(os.path.normpath(base / raw))
    segments = [s for s in absolute.as_posix().split("/") if s]
    regex_parts: list[str] = []
    search: list[str] = []
    literal = True
    for segment in segments:
        if segment == "**":
            regex_parts.append("(?:/[^/]+)*")
        else:
            regex_parts.append("/" + _segment_regex(segment))
        literal = literal and not _WILDCARD.search(segment)
        if literal:
            search.append(segment)
    regex = re.compile("".join(regex_parts) + "(?:/.*)?", re.DOTALL)
    return PathPattern(text, negate, regex, Path("/" + "/".join(search)))


def compile_patterns(lines: Sequence[str], base: Path, env: Mapping[str, str]) -> list[PathPattern]:
    return [compile_pattern(line, base, env) for line in lines if line.strip()]


def search_paths(patterns: Sequence[PathPattern]) -> list[Path]:
    """Search paths of the include patterns, without duplicates or nested ones."""
    paths: list[Path] = []
    for pattern in patterns:
        if not pattern.negate and pattern.search_path not in paths:
            paths.append(pattern.search_path)
    return [p for p in paths if not any(other in p.parents for other in paths)]


def _walk(root: Path) -> Iterator[Path]:
    """Files below ``root`` (following symlinks, each real directory once)."""
    if root.is_file():
        yield root
        return
    seen: set[str] = set()
    stack = [root]
    while stack:
        directory = stack.pop()
        real = os.path.realpath(directory)
        if real in seen:
            continue
        seen.add(real)
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            path = Path(entry.path)
            if entry.is_dir():
                stack.append(path)
            elif entry.is_file():
                yield path


def _hidden(path: Path, root: Path) -> bool:
    try:
        parts = path.relative_to(root).parts
    except ValueError:
        parts = path.parts
    return any(part.startswith(".") for part in parts)


def match_files(patterns: Sequence[PathPattern], *, include_hidden: bool = True) -> list[Path]:
    """Every file matched by ``patterns`` (last matching line decides), sorted."""
    found: set[Path] = set()
    for root in search_paths(patterns):
        for path in _walk(root):
            if path in found or (not include_hidden and _hidden(path, root)):
                continue
            keep = False
            for pattern in patterns:
                if pattern.regex.fullmatch(path.as_posix()):
                    keep = not pattern.negate
            if keep:
                found.add(path)
    return sorted(found)


def common_root(paths: Sequence[Path]) -> Path:
    """The deepest directory containing every path."""
    return Path(os.path.commonpath([str(p) for p in paths])) if paths else Path("/")
