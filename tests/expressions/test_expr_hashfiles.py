"""The default hashFiles() on a real directory."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from conveyor.expressions import evaluate
from conveyor.expressions.hashfiles import hash_files, matching_files


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    files = {
        "package-lock.json": "root lock",
        "app/package-lock.json": "app lock",
        "app/src/main.py": "print(1)",
        "app/src/util.py": "x = 1",
        "app/tests/test_main.py": "assert True",
        "docs/readme.md": "# hi",
        ".github/workflows/ci.yml": "on: push",
        "node_modules/dep/package-lock.json": "dep lock",
    }
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path


def _expected(root: Path, rels: list[str]) -> str:
    total = hashlib.sha256()
    for rel in rels:
        total.update(hashlib.sha256((root / rel).read_bytes()).digest())
    return total.hexdigest()


@pytest.mark.parametrize(
    ("patterns", "selected"),
    [
        (
            ["**/package-lock.json"],
            ["app/package-lock.json", "node_modules/dep/package-lock.json", "package-lock.json"],
        ),
        (
            ["**/package-lock.json", "!node_modules/**"],
            ["app/package-lock.json", "package-lock.json"],
        ),
        (
            ["**/package-lock.json\n!**/node_modules/**"],
            ["app/package-lock.json", "package-lock.json"],
        ),
        (["app/src/*.py"], ["app/src/main.py", "app/src/util.py"]),
        (["app/**/*.py", "!app/tests/**"], ["app/src/main.py", "app/src/util.py"]),
        (["app/src"], ["app/src/main.py", "app/src/util.py"]),  # a directory: all below
        (["/docs/*.md"], ["docs/readme.md"]),  # rooted at the workspace, as GitHub documents
        (["**/*.yml"], [".github/workflows/ci.yml"]),  # dot directories are included
        (["app/src/[m]ain.?y"], ["app/src/main.py"]),
        (["nothing/*"], []),
        (["!**/*.py"], []),
    ],
)
def test_matching(tree: Path, patterns: list[str], selected: list[str]) -> None:
    assert matching_files(patterns, tree.resolve()) == selected


def test_hash_matches_runner_algorithm(tree: Path) -> None:
    rels = ["app/src/main.py", "app/src/util.py"]
    assert hash_files(["app/src/*.py"], workspace=str(tree)) == _expected(tree.resolve(), rels)


def test_no_match_is_empty_string(tree: Path) -> None:
    assert hash_files(["*.nope"], workspace=str(tree)) == ""


def test_through_evaluate_uses_github_workspace(tree: Path) -> None:
    ctx = {"github": {"workspace": str(tree)}}
    value = evaluate("hashFiles('app/src/*.py', '!**/util.py')", ctx)
    assert value == _expected(tree.resolve(), ["app/src/main.py"])
    assert evaluate("hashFiles('none/**')", ctx) == ""


def test_defaults_to_cwd(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tree)
    assert evaluate("hashFiles('docs/*')", {}) == _expected(tree.resolve(), ["docs/readme.md"])


def test_content_change_changes_hash(tree: Path) -> None:
    before = hash_files(["**/*.py"], workspace=str(tree))
    (tree / "app/src/util.py").write_text("x = 2", encoding="utf-8")
    assert hash_files(["**/*.py"], workspace=str(tree)) != before
