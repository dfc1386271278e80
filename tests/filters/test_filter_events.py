"""push / pull_request filter rules: branch vs tag, paths, activity types."""

from __future__ import annotations

from typing import Any

import pytest

from conveyor.filters import check_pull_request_filters, check_push_filters

DOCS_INCLUDE = {"branches": ["main", "mona/octocat", "releases/**"], "tags": ["v2", "v1.*"]}
DOCS_EXCLUDE = {
    "branches-ignore": ["mona/octocat", "releases/**-alpha"],
    "tags-ignore": ["v2", "v1.*"],
}


@pytest.mark.parametrize(
    ("config", "ref", "fires"),
    [
        (None, "refs/heads/main", True),
        (None, "refs/tags/v1", True),
        ({}, "refs/heads/x", True),
        (DOCS_INCLUDE, "refs/heads/main", True),
        (DOCS_INCLUDE, "refs/heads/mona/octocat", True),
        (DOCS_INCLUDE, "refs/heads/releases/10", True),
        (DOCS_INCLUDE, "refs/heads/dev", False),
        (DOCS_INCLUDE, "refs/tags/v2", True),
        (DOCS_INCLUDE, "refs/tags/v1.9.1", True),
        (DOCS_INCLUDE, "refs/tags/v3", False),
        (DOCS_INCLUDE, "refs/tags/main", False),  # tag named like a branch pattern
        (DOCS_EXCLUDE, "refs/heads/mona/octocat", False),
        (DOCS_EXCLUDE, "refs/heads/releases/beta/3-alpha", False),
        (DOCS_EXCLUDE, "refs/heads/main", True),
        (DOCS_EXCLUDE, "refs/tags/v2", False),
        (DOCS_EXCLUDE, "refs/tags/v1.9", False),
        (DOCS_EXCLUDE, "refs/tags/v3", True),
        # only tags defined: branch pushes don't fire, and vice versa
        ({"tags": ["v*"]}, "refs/heads/main", False),
        ({"tags": ["v*"]}, "refs/tags/v1", True),
        ({"tags-ignore": ["v*"]}, "refs/heads/main", False),
        ({"branches": ["main"]}, "refs/tags/v1", False),
        ({"branches-ignore": ["dev"]}, "refs/tags/v1", False),
        # string values and null values (both occur in real workflows)
        ({"branches": "main"}, "refs/heads/main", True),
        ({"tags": "*"}, "refs/tags/v1", True),
        ({"branches": ["main"], "tags": None}, "refs/tags/v1", False),
        ({"tags": None}, "refs/heads/main", True),
        # other refs
        ({"branches": ["**"]}, "refs/pull/1/merge", False),
        (None, "refs/pull/1/merge", True),
    ],
)
def test_push_ref_filters(config: dict[str, Any] | None, ref: str, fires: bool) -> None:
    result = check_push_filters(config, ref=ref, changed_files=None)
    assert result.fires is fires, result.reason
    if not fires:
        assert result.reason


def test_push_reasons_name_the_filter() -> None:
    r = check_push_filters({"branches": ["main"]}, ref="refs/heads/dev", changed_files=None)
    assert "'branches'" in r.reason and "dev" in r.reason
    r = check_push_filters({"branches-ignore": ["dev"]}, ref="refs/heads/dev", changed_files=[])
    assert "'branches-ignore'" in r.reason
    r = check_push_filters({"tags": ["v*"]}, ref="refs/heads/main", changed_files=None)
    assert "only tag filters" in r.reason
    r = check_push_filters({"paths": ["src/**"]}, ref="refs/heads/m", changed_files=["a.md"])
    assert "'paths'" in r.reason
    r = check_push_filters({"paths-ignore": ["*.md"]}, ref="refs/heads/m", changed_files=["a.md"])
    assert "'paths-ignore'" in r.reason


def test_push_paths() -> None:
    cfg = {"branches": ["main"], "paths": ["src/**"]}
    assert check_push_filters(cfg, ref="refs/heads/main", changed_files=["src/a.py"]).fires
    assert not check_push_filters(cfg, ref="refs/heads/main", changed_files=["doc.md"]).fires
    # both must pass
    assert not check_push_filters(cfg, ref="refs/heads/dev", changed_files=["src/a.py"]).fires
    # unknown changed files: treated as matching, and the reason says so
    unknown = check_push_filters(cfg, ref="refs/heads/main", changed_files=None)
    assert unknown.fires and "unknown" in unknown.reason
    # no changed files: a path filter doesn't run
    assert not check_push_filters(cfg, ref="refs/heads/main", changed_files=[]).fires


def test_paths_ignored_for_tag_pushes() -> None:
    cfg = {"tags": ["v*"], "paths": ["src/**"]}
    assert check_push_filters(cfg, ref="refs/tags/v1", changed_files=["README.md"]).fires
    assert check_push_filters({"paths": ["src/**"]}, ref="refs/tags/v1", changed_files=[]).fires


def test_push_300_file_limit() -> None:
    files = [f"docs/{i}.md" for i in range(300)] + ["src/a.py"]
    r = check_push_filters({"paths": ["src/**"]}, ref="refs/heads/main", changed_files=files)
    assert not r.fires and "first 300" in r.reason


def test_invalid_filters_do_not_fire() -> None:
    r = check_push_filters({"branches": ["a["]}, ref="refs/heads/a", changed_files=None)
    assert not r.fires and "invalid filter pattern" in r.reason
    r = check_push_filters(
        {"branches": ["a"], "branches-ignore": ["b"]}, ref="refs/heads/a", changed_files=None
    )
    assert not r.fires and "both" in r.reason
    r = check_push_filters(
        {"paths": ["a"], "paths-ignore": ["b"]}, ref="refs/heads/a", changed_files=["a"]
    )
    assert not r.fires and "both" in r.reason


@pytest.mark.parametrize(
    ("config", "base", "action", "fires"),
    [
        (None, "main", "opened", True),
        (None, "main", "synchronize", True),
        (None, "main", "reopened", True),
        (None, "main", "closed", False),
        (None, "main", "labeled", False),
        ({"types": ["closed"]}, "main", "closed", True),
        ({"types": "labeled"}, "main", "labeled", True),
        ({"types": ["closed"]}, "main", "opened", False),
        ({"branches": ["main", "mona/octocat", "releases/**"]}, "releases/10", "opened", True),
        ({"branches": ["main"]}, "refs/heads/main", "opened", True),
        ({"branches": ["main"]}, "dev", "opened", False),
        (
            {"branches-ignore": ["mona/octocat", "releases/**-alpha"]},
            "mona/octocat",
            "opened",
            False,
        ),
        ({"branches-ignore": ["mona/octocat", "releases/**-alpha"]}, "main", "opened", True),
        ({"branches": ["releases/**", "!releases/**-alpha"]}, "releases/beta/mona", "opened", True),
        ({"branches": ["releases/**", "!releases/**-alpha"]}, "releases/10-alpha", "opened", False),
        ({"tags": ["v*"]}, "main", "opened", True),  # tag filters don't apply to PRs
    ],
)
def test_pull_request(config: dict[str, Any] | None, base: str, action: str, fires: bool) -> None:
    result = check_pull_request_filters(config, base_ref=base, action=action, changed_files=None)
    assert result.fires is fires, result.reason


def test_pull_request_reasons_and_paths() -> None:
    r = check_pull_request_filters(None, base_ref="main", action="closed", changed_files=None)
    assert "activity type 'closed'" in r.reason
    r = check_pull_request_filters(
        {"branches": ["main"]}, base_ref="dev", action="opened", changed_files=None
    )
    assert "base branch 'dev'" in r.reason
    cfg = {"paths-ignore": ["docs/**"]}
    assert not check_pull_request_filters(
        cfg, base_ref="main", action="opened", changed_files=["docs/a"]
    ).fires
    assert check_pull_request_filters(
        cfg, base_ref="main", action="opened", changed_files=["docs/a", "b"]
    ).fires
