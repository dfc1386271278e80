"""Path patterns as GitHub's ``@actions/glob`` reads them on Linux: one implementation.

Used by ``hashFiles()`` and by the built-in ``actions/cache`` and
``actions/upload-artifact``, so the same pattern selects the same files everywhere.

* One pattern per line; lines are trimmed; empty lines and lines starting with ``#``
  are skipped. A leading ``!`` excludes (``!!`` includes again); later lines win over
  earlier ones, and nothing is selected without an including line.
* Relative patterns start at a base directory; a leading ``~`` segment is the home
  directory; ``.`` segments are dropped and ``..`` goes up a level.
* Inside a path segment: ``*`` any characters, ``?`` one character, ``[abc]``/``[a-z]``
  a class, negated by a leading ``!`` *or* ``^`` (minimatch's rule), ``\\`` escapes the
  next character; a ``[`` without its ``]`` is literal. A whole ``**`` segment matches any
  number of directories (none included). Dot files match like any other (``dot: true``).
* A pattern matching a directory selects every file below it (implicit descendants).

The *search path* of a pattern is its leading literal directories; only those are walked.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

_DESCENDANTS = "(?:/.*)?"


@dataclass(frozen=True, slots=True)
class PathPattern:
    text: str  # the line as written
    negate: bool
    regex: re.Pattern[str]  # full match against an absolute posix path
    search_path: Path  # the leading literal directories (or file)


def pattern_lines(patterns: Iterable[str]) -> list[str]:
    """Every pattern line of ``patterns`` (each may hold several lines), comments dropped."""
    lines: list[str] = []
    for block in patterns:
        for raw in block.splitlines():
            line = raw.strip()
            if line and not line.startswith("#"):
                lines.append(line)
    return lines


def _class_end(segment: str, start: int) -> int:
    """Index of the ``]`` closing the class opened at ``start``, or -1."""
    j = start + 1
    if segment[j : j + 1] in ("!", "^"):
        j += 1
    if segment[j : j + 1] == "]":
        j += 1
    while j < len(segment):
        if segment[j] == "\\" and j + 1 < len(segment):
            j += 2
            continue
        if segment[j] == "]":
            return j
        j += 1
    return -1


def _class_regex(body: str) -> str:
    negated = body[:1] in ("!", "^")
    body = body[1:] if negated else body
    out: list[str] = []
    i = 0
    while i < len(body):
        char = body[i]
        if char == "\\" and i + 1 < len(body):
            i += 1
            char = body[i]
            out.append(re.escape(char) if char != "-" else "\\-")
        elif char == "-" and out and i + 1 < len(body):
            out.append("-")
        elif char in "\\[]^&~|":
            out.append("\\" + char)
        else:
            out.append(char)
        i += 1
    return ("[^" if negated else "[") + "".join(out) + "]"


def segment_regex(segment: str) -> str:
    """The regular expression for one path segment (never matches ``/``)."""
    out: list[str] = []
    i = 0
    while i < len(segment):
        char = segment[i]
        if char == "\\" and i + 1 < len(segment):
            i += 1
            out.append(re.escape(segment[i]))
        elif char == "*":
            while segment[i + 1 : i + 2] == "*":
                i += 1
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[" and (end := _class_end(segment, i)) != -1:
            out.append(_class_regex(segment[i + 1 : end]))
            i = end
        else:
            out.append(re.escape(char))
        i += 1
    return "".join(out)


def _literal(segment: str) -> str | None:
    """The segment with its escapes resolved, or None when it holds a wildcard."""
    out: list[str] = []
    i = 0
    while i < len(segment):
        char = segment[i]
        if char == "\\" and i + 1 < len(segment):
            i += 1
            out.append(segment[i])
        elif char in "*?":
            return None
        elif char == "[" and (end := _class_end(segment, i)) != -1:
            body = segment[i + 1 : end].replace("\\", "")
            if len(body) != 1 or body in "!^":
                return None
            out.append(body)  # ``[*]`` is how a literal ``*`` is written
            i = end
        else:
            out.append(char)
        i += 1
    return "".join(out)


def _split_negation(line: str) -> tuple[bool, str]:
    negate = False
    text = line.strip()
    while text.startswith("!"):
        negate = not negate
        text = text[1:].strip()
    return negate, text


def compile_pattern(
    line: str, base: Path, *, home: str | None = None, rooted_in_base: bool = False
) -> PathPattern:
    """Compile one pattern line relative to the absolute directory ``base``.

    ``home`` replaces a leading ``~`` segment. With ``rooted_in_base`` an absolute pattern
    outside ``base`` is read relative to it (``hashFiles('/src/*.js')``, as GitHub documents).
    """
    negate, text = _split_negation(line)
    root = base
    if home is not None and (text == "~" or text.startswith("~/")):
        root, text = Path(home), text[2:]
    elif text.startswith("/"):
        root = Path("/")
        if rooted_in_base and not (text + "/").startswith(base.as_posix().rstrip("/") + "/"):
            root, text = base, text.lstrip("/")
    literal = [s for s in root.as_posix().split("/") if s]
    pieces = ["/" + re.escape(s) for s in literal]
    search = list(literal)
    globbed = False
    for raw in text.split("/"):
        if raw in ("", "."):
            continue
        if raw == "..":
            if pieces:
                pieces.pop()
            if search and not globbed:
                search.pop()
            continue
        plain = _literal(raw)
        if plain is None:
            globbed = True
            pieces.append("(?:/[^/]+)*" if raw == "**" else "/" + segment_regex(raw))
        else:
            pieces.append("/" + re.escape(plain))
            if not globbed:
                search.append(plain)
    regex = re.compile("".join(pieces) + _DESCENDANTS, re.DOTALL)
    return PathPattern(line.strip(), negate, regex, Path("/" + "/".join(search)))


def compile_patterns(
    patterns: Iterable[str], base: Path, *, home: str | None = None, rooted_in_base: bool = False
) -> list[PathPattern]:
    """:func:`compile_pattern` for every line of :func:`pattern_lines` ``(patterns)``."""
    return [
        compile_pattern(line, base, home=home, rooted_in_base=rooted_in_base)
        for line in pattern_lines(patterns)
    ]


def selects(patterns: Sequence[PathPattern], path: str) -> bool:
    """Whether the absolute posix ``path`` is selected (the last matching line decides)."""
    keep = False
    for pattern in patterns:
        if pattern.negate == keep and pattern.regex.fullmatch(path):
            keep = not pattern.negate
    return keep


def search_paths(patterns: Sequence[PathPattern]) -> list[Path]:
    """Search paths of the including patterns, without duplicates or nested ones."""
    paths: list[Path] = []
    for pattern in patterns:
        if not pattern.negate and pattern.search_path not in paths:
            paths.append(pattern.search_path)
    return [p for p in paths if not any(other in p.parents for other in paths)]


def _walk(root: Path, follow_symlinks: bool) -> Iterator[Path]:
    """Files below ``root``; symlinked directories are entered (once each) when following."""
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
            if entry.is_dir(follow_symlinks=follow_symlinks):
                stack.append(path)
            elif entry.is_file():
                yield path


def _hidden(path: Path, root: Path) -> bool:
    try:
        parts = path.relative_to(root).parts
    except ValueError:
        parts = path.parts
    return any(part.startswith(".") for part in parts)


def match_files(
    patterns: Sequence[PathPattern], *, include_hidden: bool = True, follow_symlinks: bool = True
) -> list[Path]:
    """Every file the patterns select, sorted; ``include_hidden=False`` skips any file with
    a dot-named part below its search path (upload-artifact's default)."""
    found: set[Path] = set()
    for root in search_paths(patterns):
        for path in _walk(root, follow_symlinks):
            if path in found or (not include_hidden and _hidden(path, root)):
                continue
            if selects(patterns, path.as_posix()):
                found.add(path)
    return sorted(found)


def common_root(paths: Sequence[Path]) -> Path:
    """The deepest directory containing every path."""
    return Path(os.path.commonpath([str(p) for p in paths])) if paths else Path("/")
