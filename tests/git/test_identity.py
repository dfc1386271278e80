"""Repository identity: every URL form of one repository gives one key, without credentials."""

from __future__ import annotations

from pathlib import Path

import pytest

from conveyor.git import repo_info, repository_identity, strip_credentials
from conveyor.git.identity import key_from_url
from git_repo_helpers import GitRun


@pytest.mark.parametrize(
    "url",
    [
        "git@github.com:o/r.git",
        "https://user:token@github.com/o/r",
        "ssh://git@github.com/o/r.git",
        "ssh://git@github.com:22/o/r.git",
        "https://github.com/o/r.git/",
        "https://GitHub.com/o/r",
        "git://github.com/o/r",
        "github.com:o/r",
    ],
)
def test_every_form_of_a_remote_gives_one_key(url: str, tmp_path: Path) -> None:
    assert key_from_url(url, tmp_path) == "github.com/o/r"


def test_local_remotes_are_absolute_paths(tmp_path: Path) -> None:
    assert key_from_url("/srv/git/r.git", tmp_path) == "/srv/git/r.git"
    assert key_from_url("file:///srv/git/r.git", tmp_path) == "/srv/git/r.git"
    assert key_from_url("../upstream", tmp_path / "clone") == str(tmp_path / "upstream")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://user:s3cret@github.com/o/r.git", "https://github.com/o/r.git"),
        ("https://ghp_token@github.com/o/r", "https://github.com/o/r"),
        ("https://user:s3cret@git.example.com:8443/o/r", "https://git.example.com:8443/o/r"),
        ("git@github.com:o/r.git", "github.com:o/r.git"),
        ("/srv/git/r.git", "/srv/git/r.git"),
    ],
)
def test_credentials_are_never_kept(url: str, expected: str) -> None:
    assert strip_credentials(url) == expected


def test_identity_of_a_clone_comes_from_origin(tmp_path: Path, run_git: GitRun) -> None:
    root = tmp_path / "work"
    root.mkdir()
    run_git("init", "-q", "-b", "main", cwd=root)
    run_git("remote", "add", "origin", "https://bot:s3cret@github.com/acme/app.git", cwd=root)
    (root / "sub").mkdir()
    identity = repository_identity(root / "sub")
    assert identity.key == "github.com/acme/app"
    assert identity.name == "acme/app"
    assert identity.url == "https://github.com/acme/app.git"
    assert "s3cret" not in repr(identity)
    assert repo_info(root).identity == identity


def test_without_origin_the_path_is_the_identity(tmp_path: Path, run_git: GitRun) -> None:
    root = tmp_path / "alone"
    root.mkdir()
    run_git("init", "-q", "-b", "main", cwd=root)
    run_git("remote", "add", "upstream", "https://github.com/acme/app.git", cwd=root)
    identity = repository_identity(root)
    assert (identity.key, identity.name, identity.url) == (str(root.resolve()), "local/alone", None)
    plain = tmp_path / "plain"
    plain.mkdir()
    assert repository_identity(plain).key == str(plain.resolve())
