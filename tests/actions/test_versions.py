from __future__ import annotations

import pytest

from conveyor.actions.versions import best_match, parse_version, version_matcher

INSTALLED = [(3, 9, 18), (3, 10, 13), (3, 11, 7), (3, 12, 3), (3, 12, 1)]


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("3.11", (3, 11, 7)),
        ("3.12.1", (3, 12, 1)),
        ("3.x", (3, 12, 3)),
        ("3", (3, 12, 3)),
        ("x", (3, 12, 3)),
        (">=3.10", (3, 12, 3)),
        (">=3.9,<3.12", (3, 11, 7)),
        (">=3.9 <3.11", (3, 10, 13)),
        ("~3.10", (3, 10, 13)),
        ("~=3.10", (3, 12, 3)),
        ("^3.10", (3, 12, 3)),
        ("3.12.x", (3, 12, 3)),
        ("3.13-dev", None),
        ("3.9 || 3.10", (3, 10, 13)),
        ("2.6", None),
        ("<=3.10", (3, 10, 13)),
        (">3.11", (3, 12, 3)),
    ],
)
def test_best_match(spec: str, expected: tuple[int, ...] | None) -> None:
    index = best_match(spec, INSTALLED)
    assert (None if index is None else INSTALLED[index]) == expected


def test_parse_version() -> None:
    assert parse_version("v20.11.0") == (20, 11, 0)
    assert parse_version("go1.22.1") == (1, 22, 1)
    assert parse_version("junk") == ()


def test_unparseable_spec() -> None:
    assert version_matcher("banana") is None
    assert best_match("banana", INSTALLED) is None
