"""The default ``hashFiles()``: the only function of the package that hashes files.

Behaviour follows GitHub's runner (``@actions/glob`` hashFiles): patterns are relative to
the workspace (``github.workspace``, else the current directory) and are read by
:mod:`conveyor.expressions.pathglob`, the same matcher ``actions/cache`` and
``actions/upload-artifact`` use; an absolute pattern outside the workspace is read
relative to it (``/src/*.js``, as GitHub documents). Each matched regular file is hashed
with SHA-256; the result is the hex SHA-256 of the concatenated raw digests, or ``''``
when nothing matches. Files are visited in sorted relative-path order (GitHub uses its
glob's walk order, which is the same on typical trees), symlinked directories are not
followed, and files outside the workspace are never hashed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

from conveyor.errors import ExpressionEvalError
from conveyor.expressions.pathglob import compile_patterns, match_files

_CHUNK = 1 << 16


def matching_files(patterns: Sequence[str], root: Path) -> list[str]:
    """Relative posix paths of the files under ``root`` selected by ``patterns``."""
    compiled = compile_patterns(patterns, root, rooted_in_base=True)
    selected: list[str] = []
    for path in match_files(compiled, follow_symlinks=False):
        try:
            selected.append(path.relative_to(root).as_posix())
        except ValueError:
            continue
    return sorted(selected)


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
