"""The default ``hashFiles()``: the only module of the package that reads files.

Behaviour follows GitHub's runner (``@actions/glob`` hashFiles): patterns are relative to
the workspace (``github.workspace``, else the current directory); a leading ``!`` excludes,
and later patterns override earlier ones; ``*``/``?``/``[...]`` match inside one path
segment (dot-files included), ``**`` matches any number of segments; a pattern that names
a directory matches every file below it. Each matched regular file is hashed with SHA-256;
the result is the hex SHA-256 of the concatenated raw digests, or ``''`` when nothing
matches. Files are visited in sorted relative-path order (GitHub uses its glob's walk
order, which is the same on typical trees), symlinked directories are not followed, and
files outside the workspace are never hashed.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from conveyor.errors import ExpressionEvalError

_CHUNK = 1 << 16


@lru_cache(maxsize=256)
def _compile(pattern: str) -> re.Pattern[str]:
    parts: list[str] = []
    segments = [s for s in pattern.split("/") if s not in ("", ".")]
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == "**":
            parts.append(".*" if last else "(?:[^/]*/)*")
            continue
        parts.append(_segment(segment) + ("" if last else "/"))
    # A match on a directory includes everything below it.
    return re.compile("".join(parts) + "(?:/.*)?")


def _segment(segment: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(segment):
        c = segment[i]
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[" and (close := segment.find("]", i + 2)) > 0:
            body = segment[i + 1 : close]
            negate = body[:1] == "!"
            body = body[1:] if negate else body
            body = body.replace("\\", "\\\\").replace("[", "\\[")
            if body.startswith("^"):
                body = "\\" + body
            out.append("[" + ("^" if negate else "") + body + "]")
            i = close
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


def _relative(pattern: str, root: Path) -> str:
    pattern = pattern.strip().replace("\\", "/")
    if Path(pattern).is_absolute():
        try:
            return Path(pattern).relative_to(root).as_posix()
        except ValueError:
            return pattern.lstrip("/")  # GitHub documents "/src/*.js" as workspace-rooted
    return pattern


def _walk(root: Path) -> list[str]:
    found: list[str] = []
    for directory, dirs, files in os.walk(root):
        dirs.sort()
        rel_dir = Path(directory).relative_to(root).as_posix()
        prefix = "" if rel_dir == "." else rel_dir + "/"
        found.extend(prefix + name for name in files)
    return sorted(found)


def matching_files(patterns: Sequence[str], root: Path) -> list[str]:
    """Relative posix paths of the files under ``root`` selected by ``patterns``."""
    rules: list[tuple[bool, re.Pattern[str]]] = []
    for raw in patterns:
        for raw_line in raw.splitlines():
            line = raw_line.strip()
            if not line or line.startswith("#"):
                continue
            negate = line.startswith("!")
            text = _relative(line[1:] if negate else line, root)
            rules.append((not negate, _compile(text)))
    if not any(include for include, _ in rules):
        return []
    selected: list[str] = []
    for path in _walk(root):
        keep = False
        for include, rule in rules:
            if include != keep and rule.fullmatch(path):
                keep = include
        if keep:
            selected.append(path)
    return selected


def hash_files(patterns: Sequence[str], *, workspace: str | None = None) -> str:
    """GitHub's ``hashFiles(...)`` over ``workspace`` (default: current directory)."""
    root = (Path(workspace) if workspace else Path.cwd()).resolve()
    total = hashlib.sha256()
    matched = False
    for rel in matching_files(patterns, root):
        path = root / rel
        try:
            resolved = path.resolve()
            if not resolved.is_file() or not resolved.is_relative_to(root):
                continue
            digest = hashlib.sha256()
            with resolved.open("rb") as handle:
                while chunk := handle.read(_CHUNK):
                    digest.update(chunk)
        except OSError as exc:
            raise ExpressionEvalError(f"hashFiles: cannot read {rel}: {exc}") from exc
        total.update(digest.digest())
        matched = True
    return total.hexdigest() if matched else ""
