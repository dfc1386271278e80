from __future__ import annotations

import pytest

from conveyor.git import repository_from_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://github.com/o/n.git", "o/n"),
        ("https://user:token@github.com/o/n", "o/n"),
        ("git@github.com:o/n.git", "o/n"),
        ("github.com:o/n", "o/n"),
        ("ssh://git@host/o/n.git", "o/n"),
        ("file:///srv/mirror/o/n.git", "o/n"),
        ("/srv/mirror/o/n.git", "o/n"),
        ("https://gitlab.com/group/sub/n.git", "sub/n"),
        ("", None),
        ("https://github.com/", None),
        ("n.git", None),
    ],
)
def test_repository_from_url(url: str, expected: str | None) -> None:
    assert repository_from_url(url) == expected
