from __future__ import annotations

from pathlib import Path

from conveyor.expressions.pathglob import compile_patterns, match_files, search_paths


def make(root: Path, *names: str) -> None:
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(name)


def rel(root: Path, files: list[Path]) -> list[str]:
    return [f.relative_to(root).as_posix() for f in files]


def test_patterns(tmp_path: Path) -> None:
    make(tmp_path, "a/x.py", "a/b/y.py", "a/b/c/z.py", "a/b/data1.txt", "a/b/data2.txt", "top.py")

    def run(*lines: str) -> list[str]:
        return rel(tmp_path, match_files(compile_patterns(lines, tmp_path, home="/h")))

    assert run("a/**/*.py") == ["a/b/c/z.py", "a/b/y.py", "a/x.py"]
    assert run("a/*/*.py") == ["a/b/y.py"]
    assert run("a/b/data[12].txt") == ["a/b/data1.txt", "a/b/data2.txt"]
    assert run("a/b/data[!1].txt") == ["a/b/data2.txt"]
    assert run("a/b/data?.txt", "!a/b/data2.txt") == ["a/b/data1.txt"]
    assert run("a", "!a/b", "a/b/c") == ["a/b/c/z.py", "a/x.py"]
    assert run("*.py") == ["top.py"]
    assert run("missing/**") == []


def test_search_paths_drop_nested(tmp_path: Path) -> None:
    patterns = compile_patterns(["a/**/*.py", "a/b/*.txt", "c", "!a/x"], tmp_path)
    assert search_paths(patterns) == [tmp_path / "a", tmp_path / "c"]


def test_home_expansion(tmp_path: Path) -> None:
    make(tmp_path / "home", ".cache/f")
    patterns = compile_patterns(["~/.cache"], Path("/elsewhere"), home=str(tmp_path / "home"))
    assert match_files(patterns) == [tmp_path / "home/.cache/f"]
