"""``actions/cache`` paths and ``hashFiles()`` select the same files for the same patterns.

Both read patterns through :mod:`conveyor.expressions.pathglob` (GitHub's ``@actions/glob``
rules); here each caller is driven through its own entry point: the cache action saves,
the workspace is emptied and the cache restored (what comes back is what it matched), and
``hashFiles`` is evaluated as an expression. Both must equal the expected set.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from action_helpers import Env

from conveyor.actions import cache, upload_artifact
from conveyor.expressions import evaluate

FILES = [
    "src/a.py",
    "src/b.py",
    "src/c.txt",
    "src/.hidden.py",
    "src/sub/d.py",
    "src/^.py",
    "src/[x].py",
    "docs/readme.md",
]

CASES = [
    ("src/[^a].py", {"src/b.py", "src/^.py"}),  # ``^`` negates a class, as ``!`` does
    ("src/[!a].py", {"src/b.py", "src/^.py"}),
    ("src/[\\^].py", {"src/^.py"}),  # an escaped ``^`` is literal
    ("src/[ab].py", {"src/a.py", "src/b.py"}),
    ("src/\\[x\\].py", {"src/[x].py"}),
    ("src/[[]x].py", {"src/[x].py"}),
    (
        "src/**/*.py",
        {"src/a.py", "src/b.py", "src/.hidden.py", "src/sub/d.py", "src/^.py", "src/[x].py"},
    ),
    ("src/*.txt\n# src/a.py is a comment", {"src/c.txt"}),
    ("src\n!src/sub\n!src/*.py", {"src/c.txt"}),
    ("!!src/a.py", {"src/a.py"}),  # two ``!`` include again
    ("src/?.py", {"src/a.py", "src/b.py", "src/^.py"}),
    ("docs", {"docs/readme.md"}),  # a directory: every file below it
]


def _fill(root: Path) -> None:
    for rel in FILES:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(rel, encoding="utf-8")


def _files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def _hash(root: Path, rels: set[str]) -> str:
    total = hashlib.sha256()
    for rel in sorted(rels):
        total.update(hashlib.sha256((root / rel).read_bytes()).digest())
    return total.hexdigest()


def _cache_matches(env: Env, key: str, paths: str) -> set[str]:
    result = cache.run(env.context({"key": key, "path": paths}))
    assert result.ok and result.post is not None, result.message
    posted = result.post(env.context({"key": key, "path": paths}))
    assert posted.ok, posted.message
    for child in list(env.workspace.iterdir()):
        shutil.rmtree(child)
    restored = cache.run(env.context({"key": key, "path": paths}))
    assert restored.outputs["cache-hit"] == "true", env.output.text
    return _files(env.workspace)


@pytest.mark.parametrize(("patterns", "expected"), CASES)
def test_cache_and_hashfiles_select_the_same_files(
    env: Env, patterns: str, expected: set[str]
) -> None:
    _fill(env.workspace)
    quoted = ", ".join("'" + line + "'" for line in patterns.splitlines())
    hashed = evaluate(f"hashFiles({quoted})", {"github": {"workspace": str(env.workspace)}})
    assert hashed == _hash(env.workspace, expected)
    key = hashlib.sha256(patterns.encode()).hexdigest()[:16]
    assert _cache_matches(env, key, patterns) == expected


def test_upload_artifact_selects_the_same_files(env: Env) -> None:
    _fill(env.workspace)
    for patterns, expected in CASES:
        context = env.context({"path": patterns, "include-hidden-files": "true"})
        lines = upload_artifact.get_lines(context, "path")
        compiled = upload_artifact.compile_patterns(lines, env.workspace, home=str(env.home))
        files = upload_artifact.match_files(compiled, include_hidden=True)
        assert {f.relative_to(env.workspace).as_posix() for f in files} == expected, patterns
