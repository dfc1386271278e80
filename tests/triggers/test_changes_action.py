"""``conveyor/changes`` (and ``dorny/paths-filter``) inside a real workflow run."""

from __future__ import annotations

from pathlib import Path

import pytest
from trigger_helpers import Git, commit, conveyor

from conveyor.actions.changes import format_files, match_filters, parse_filters

pytestmark = pytest.mark.slow

FILTERS = """\
shared: &shared
  - 'src/data/**'
  - 'src/agent.py'
api:
  - *shared
  - 'src/api/**'
scheduler: [*shared, 'src/scheduler/**']
backend: 'src/**/*.py'
frontend: 'frontend/twinbar/**'
docs:
  - added|modified: 'docs/**'
"""


def test_filters_with_anchors_single_patterns_and_change_types() -> None:
    rules = parse_filters(FILTERS)
    files = {"src/api/x.py": "modified", "docs/a.md": "deleted", "frontend/twinbar/a.js": "added"}
    got = match_filters(rules, files, "some")
    assert got == {
        "shared": [],
        "api": ["src/api/x.py"],
        "scheduler": [],
        "backend": ["src/api/x.py"],
        "frontend": ["frontend/twinbar/a.js"],
        "docs": [],
    }
    every = match_filters(
        parse_filters("py: ['src/**', '!**/*.md']"), {"src/a.md": "added"}, "every"
    )
    assert every == {"py": []}
    assert format_files(["a b", "c"], "json") == '["a b", "c"]'
    assert format_files(["a b", "c"], "shell") == "'a b' c"
    assert format_files(["a,b", "c"], "csv") == '"a,b",c'
    assert format_files(["a b"], "escape") == "a\\ b"


WORKFLOW = """\
name: Changes
on: push
jobs:
  changes:
    runs-on: ubuntu-latest
    outputs:
      backend: ${{ steps.filter.outputs.backend }}
      frontend: ${{ steps.filter.outputs.frontend }}
      changes: ${{ steps.filter.outputs.changes }}
    steps:
      - uses: actions/checkout@v4
      - id: filter
        uses: dorny/paths-filter@v3
        with:
          list-files: shell
          filters: |
            shared: &shared
              - 'src/data/**'
            backend:
              - *shared
              - 'src/**/*.py'
            frontend: 'frontend/twinbar/**'
      - env:
          N: ${{ steps.filter.outputs.backend_count }}
        run: echo "files=${{ steps.filter.outputs.backend_files }} n=$N"
  backend:
    needs: changes
    if: needs.changes.outputs.backend == 'true'
    runs-on: ubuntu-latest
    steps:
      - run: echo "backend deploy ${{ needs.changes.outputs.changes }}"
  frontend:
    needs: changes
    if: needs.changes.outputs.frontend == 'true'
    runs-on: ubuntu-latest
    steps:
      - run: echo "frontend deploy"
"""


def test_changes_action_gates_jobs_in_a_real_run(repo: Path, git: Git) -> None:
    commit(git, repo, {".github/workflows/changes.yml": WORKFLOW, "docs/a.md": "a\n"})
    commit(git, repo, {"src/data/db.py": "x = 1\n"})
    result = conveyor(repo, "trigger", "push")
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert "files=src/data/db.py n=1" in out
    assert "backend deploy [shared, backend]" in out
    assert "frontend deploy" not in out
