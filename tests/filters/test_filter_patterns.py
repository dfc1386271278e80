"""Pattern grammar details, ordering/negation and error columns."""

from __future__ import annotations

import pytest

from conveyor.filters import (
    FilterPatternError,
    compile_filter,
    matches_any,
    paths_filter_allows,
    ref_filter_allows,
)


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        ("colou?r", "color", True),
        ("colou?r", "colour", True),
        ("colou?r", "colouur", False),
        ("ab+c", "abbbc", True),
        ("ab+c", "ac", False),
        ("[0-9]+", "2024", True),
        ("[0-9]?x", "x", True),
        (r"release\+1", "release+1", True),
        (r"release\+1", "releasee1", False),
        (r"a\*b", "a*b", True),
        (r"a\*b", "axb", False),
        (r"what\?", "what?", True),
        (r"\[x\]", "[x]", True),
        (r"\!x", "!x", True),
        ("a!b", "a!b", True),
        ("v1.0", "v1x0", False),
        ("a.b(c)|d^$", "a.b(c)|d^$", True),
        ("x]", "x]", True),
        ("[a-]", "-", True),
        ("[.x]", ".", True),
        (r"[\]]", "]", True),
        ("Main", "main", False),
        ("*", "", True),
        ("a/**/b", "a/b", True),
        ("a/**/b", "a/x/y/b", True),
        ("a**", "a/b/c", True),
        ("**/", "x/", True),
    ],
)
def test_grammar(pattern: str, value: str, expected: bool) -> None:
    assert bool(compile_filter(pattern, kind="path").match(value)) is expected


def test_compile_is_cached() -> None:
    assert compile_filter("docs/**", kind="path") is compile_filter("docs/**", kind="path")


def test_bang_is_literal_in_compile_filter() -> None:
    assert compile_filter("!x", kind="ref").match("!x")


@pytest.mark.parametrize(
    ("pattern", "column", "fragment"),
    [
        ("", 1, "empty pattern"),
        ("abc[", 4, "unclosed '['"),
        ("a[bc", 2, "unclosed '['"),
        ("x[]", 2, "empty '[]'"),
        ("v[9-0]", 3, "invalid range"),
        ("v[a-Z]", 3, "invalid range"),
        ("v[!--]", 3, "invalid range"),
        ("abc\\", 4, "dangling"),
        ("[a\\", 3, "dangling"),
        ("+a", 1, "'+' must follow"),
        ("?", 1, "'?' must follow"),
        ("a*+", 3, "'+' must follow"),
        ("a++", 3, "'+' must follow"),
        ("**?", 3, "'?' must follow"),
    ],
)
def test_errors_carry_columns(pattern: str, column: int, fragment: str) -> None:
    with pytest.raises(FilterPatternError) as info:
        compile_filter(pattern, kind="ref")
    assert info.value.column == column
    assert fragment in info.value.message
    assert isinstance(info.value, ValueError)


def test_error_column_counts_the_bang_in_lists() -> None:
    with pytest.raises(FilterPatternError) as info:
        matches_any(["main", "!rel[ease"], "main", kind="ref")
    assert info.value.column == 5
    assert info.value.pattern == "!rel[ease"
    with pytest.raises(FilterPatternError) as info:
        matches_any(["!"], "x", kind="ref")
    assert info.value.column == 2


def test_unknown_kind() -> None:
    with pytest.raises(ValueError, match="unknown filter kind"):
        compile_filter("x", kind="branch")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("patterns", "value", "expected"),
    [
        ([], "main", False),
        (["!main"], "main", False),
        (["!main"], "dev", False),  # only negative patterns: matches nothing
        (["**", "!main"], "main", False),
        (["**", "!main"], "dev", True),
        (["!main", "**"], "main", True),  # a positive after a negative re-includes
        (["**", "!rel/**", "rel/keep"], "rel/keep", True),
        (["**", "!rel/**", "rel/keep"], "rel/drop", False),
        (["**", "!rel/**", "rel/keep", "!**"], "rel/keep", False),
    ],
)
def test_last_match_wins(patterns: list[str], value: str, expected: bool) -> None:
    assert matches_any(patterns, value, kind="ref") is expected


def test_ref_filter_allows() -> None:
    assert ref_filter_allows(None, None, "anything")
    assert ref_filter_allows(["main"], None, "main")
    assert not ref_filter_allows(["main"], None, "dev")
    assert not ref_filter_allows(None, ["mona/octocat", "releases/**-alpha"], "mona/octocat")
    assert not ref_filter_allows(None, ["mona/octocat", "releases/**-alpha"], "releases/3-alpha")
    assert ref_filter_allows(None, ["mona/octocat", "releases/**-alpha"], "main")
    with pytest.raises(ValueError, match="both"):
        ref_filter_allows(["a"], ["b"], "a")


def test_paths_any_and_all() -> None:
    assert paths_filter_allows(None, None, [])
    assert paths_filter_allows(["**.js"], None, ["README.md", "src/a.js"])
    assert not paths_filter_allows(["**.js"], None, ["README.md"])
    assert not paths_filter_allows(["**.js"], None, [])  # no changed files: no run
    assert not paths_filter_allows(None, ["docs/**"], ["docs/a.md", "docs/b/c.md"])
    assert paths_filter_allows(None, ["docs/**"], ["docs/a.md", "src/x.py"])
    with pytest.raises(ValueError, match="both"):
        paths_filter_allows(["a"], ["b"], ["a"])


def test_only_first_300_changed_files_count() -> None:
    docs = [f"docs/{i}.md" for i in range(300)]
    assert not paths_filter_allows(["src/**"], None, [*docs, "src/a.py"])
    assert paths_filter_allows(["src/**"], None, [*docs[:299], "src/a.py"])
    # paths-ignore: the unmatched file past 300 is not seen, so everything "matches"
    assert not paths_filter_allows(None, ["docs/**"], [*docs, "src/a.py"])
    assert paths_filter_allows(None, ["docs/**"], [*docs[:299], "src/a.py"])


def test_many_patterns_in_one_list() -> None:
    patterns = [f"dir{i}/**" for i in range(500)] + ["!dir7/skip"]
    assert matches_any(patterns, "dir499/a", kind="path")
    assert not matches_any(patterns, "dir7/skip", kind="path")
    assert not matches_any(patterns, "dir500/a", kind="path")
