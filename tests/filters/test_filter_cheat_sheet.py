"""Every example of GitHub's "Filter pattern cheat sheet", as table-driven tests."""

from __future__ import annotations

import pytest

from conveyor.filters import matches_any

# (patterns, matching values, non-matching values) -- "Patterns to match branches and tags"
REF_TABLE: list[tuple[list[str], list[str], list[str]]] = [
    (["feature/*"], ["feature/my-branch", "feature/your-branch"], ["feature/beta-a/my-branch"]),
    (
        ["feature/**"],
        ["feature/beta-a/my-branch", "feature/your-branch", "feature/mona/the/octocat"],
        ["feature", "features/x"],
    ),
    (["main", "releases/mona-the-octocat"], ["main", "releases/mona-the-octocat"], ["mainx"]),
    (["*"], ["main", "releases"], ["releases/v1"]),
    (["**"], ["all/the/branches", "every/tag", "main"], []),
    (["*feature"], ["mona-feature", "feature", "ver-10-feature"], ["feature-x", "a/feature"]),
    (["v2*"], ["v2", "v2.0", "v2.9"], ["v1.0", "v2/x"]),
    (["v[12].[0-9]+.[0-9]+"], ["v1.10.1", "v2.0.0"], ["v3.0.0", "v1.x.1", "v1.0", "v1a10.1"]),
    # The prose examples of the cheat sheet's list.
    (["Octo*"], ["Octocat", "Octo"], ["Octo/cat"]),
    (["[CB]at"], ["Cat", "Bat"], ["Rat", "at"]),
    (["[1-2]00"], ["100", "200"], ["300"]),
    (["[0-9a-z]"], ["7", "q"], ["Q", "-"]),
    # on.push examples ("Including branches and tags").
    (["main", "mona/octocat", "releases/**"], ["main", "mona/octocat", "releases/10"], ["dev"]),
    (["v2", "v1.*"], ["v2", "v1.9.1"], ["v3", "v1"]),
    # "Including and excluding branches": the negative pattern follows the positive one.
    (
        ["releases/**", "!releases/**-alpha"],
        ["releases/10", "releases/beta/mona"],
        ["releases/10-alpha", "releases/beta/3-alpha"],
    ),
]

# "Patterns to match file paths"
PATH_TABLE: list[tuple[list[str], list[str], list[str]]] = [
    (["*"], ["README.md", "server.rb"], ["docs/README.md"]),
    (["*.jsx?"], ["page.js", "page.jsx"], ["page.jsxx", "src/page.js"]),
    (["**"], ["all/the/files.md", "x"], []),
    (["*.js"], ["app.js", "index.js"], ["js/index.js"]),
    (["**.js"], ["index.js", "js/index.js", "src/js/app.js"], ["index.ts"]),
    (["docs/*"], ["docs/README.md", "docs/file.txt"], ["docs/mona/octocat.txt", "x/docs/a"]),
    (["docs/**"], ["docs/README.md", "docs/mona/octocat.txt"], ["README.md", "src/docs/a"]),
    (
        ["docs/**/*.md"],
        ["docs/README.md", "docs/mona/hello-world.md", "docs/a/markdown/file.md"],
        ["docs/a.txt", "README.md"],
    ),
    (
        ["**/docs/**"],
        ["docs/hello.md", "dir/docs/my-file.txt", "space/docs/plan/space.doc"],
        ["mydocs/a.md", "docs"],
    ),
    (["**/README.md"], ["README.md", "js/README.md"], ["README.mdx", "xREADME.md"]),
    (["**/*src/**"], ["a/src/app.js", "my-src/code/js/app.js"], ["src.js", "a/srcx/b"]),
    (["**/*-post.md"], ["my-post.md", "path/their-post.md"], ["post.md"]),
    (
        ["**/migrate-*.sql"],
        ["migrate-10909.sql", "db/migrate-v1.0.sql", "db/sept/migrate-v1.sql"],
        ["migrate.sql", "db/migrate-x.sq"],
    ),
    (["*.md", "!README.md"], ["hello.md"], ["README.md", "docs/hello.md"]),
    (["*.md", "!README.md", "README*"], ["hello.md", "README.md", "README.doc"], []),
    # on.push.paths examples.
    (["**.js"], ["a/b/c.js"], ["a/b/c.json"]),
    (["docs/**"], ["docs/x/y"], ["documentation/x"]),
    (
        ["sub-project/**", "!sub-project/docs/**"],
        ["sub-project/index.js", "sub-project/src/index.js"],
        ["sub-project/docs/readme.md"],
    ),
]


def _cases(
    table: list[tuple[list[str], list[str], list[str]]],
) -> list[tuple[list[str], str, bool]]:
    cases: list[tuple[list[str], str, bool]] = []
    for patterns, yes, no in table:
        cases.extend((patterns, v, True) for v in yes)
        cases.extend((patterns, v, False) for v in no)
    return cases


@pytest.mark.parametrize(("patterns", "value", "expected"), _cases(REF_TABLE))
def test_ref_cheat_sheet(patterns: list[str], value: str, expected: bool) -> None:
    assert matches_any(patterns, value, kind="ref") is expected


@pytest.mark.parametrize(("patterns", "value", "expected"), _cases(PATH_TABLE))
def test_path_cheat_sheet(patterns: list[str], value: str, expected: bool) -> None:
    assert matches_any(patterns, value, kind="path") is expected
