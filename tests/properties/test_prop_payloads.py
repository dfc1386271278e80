"""Event payloads given with ``--payload``: ``conveyor plan`` never fails with anything but
conveyor's own errors (exit 0 or 2, never 3), whatever JSON object the file holds."""

from __future__ import annotations

import itertools
import json
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from property_helpers import json_values, payloads

from conveyor.cli.main import EXIT_BUG, main
from git_repo_helpers import init_repo, isolate_git

pytestmark = pytest.mark.property
_COUNTER = itertools.count()

WORKFLOWS = {
    "push.yml": """
        on:
          push:
            branches: [main, 'release/**']
            tags: ['v*']
            paths: ['src/**', '!docs/**']
        jobs:
          a:
            if: github.event.head_commit.message != 'skip'
            runs-on: ${{ github.event.inputs.os || 'ubuntu-latest' }}
            strategy:
              matrix:
                v: ${{ fromJSON(github.event.inputs.versions || '[1]') }}
            steps: [{run: echo}]
    """,
    "pr.yml": """
        on:
          pull_request:
            types: [opened, labeled]
            branches: [main]
            paths-ignore: ['*.md']
          pull_request_target:
        jobs:
          b:
            if: contains(github.event.pull_request.labels.*.name, 'go')
            runs-on: ubuntu-latest
            steps: [{run: echo}]
    """,
    "dispatch.yml": """
        on:
          workflow_dispatch:
            inputs:
              level: {type: choice, options: [low, high], default: low}
              count: {type: number}
              flag: {type: boolean}
          release:
            types: [published]
          schedule: [{cron: '0 3 * * *'}]
        jobs:
          c:
            runs-on: ubuntu-latest
            steps:
              - run: echo "${{ inputs.level }}"
    """,
}
EVENTS = [
    "push", "pull_request", "pull_request_target", "workflow_dispatch", "release",
    "schedule", "issues", "create",
]  # fmt: skip


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    base = tmp_path_factory.mktemp("payloads")
    with pytest.MonkeyPatch.context() as patch:
        isolate_git(patch, base)
        root = init_repo(base / "repo")
        folder = root / ".github" / "workflows"
        folder.mkdir(parents=True)
        for name, text in WORKFLOWS.items():
            (folder / name).write_text(textwrap.dedent(text))
        patch.chdir(root)
        yield root


def test_the_workflows_plan(repo: Path) -> None:
    """The fixture is valid: the property below reaches the planner, not a YAML error."""
    path = repo.parent / "good.json"
    path.write_text(json.dumps({"ref": "refs/heads/main", "inputs": {"level": "high"}}))
    for event in ("push", "workflow_dispatch", "pull_request"):
        assert main(["plan", "--event", event, "--payload", str(path)]) == 0, event


payload_files = (
    (payloads | json_values()).map(lambda v: json.dumps(v).encode())
    | payloads.map(lambda v: json.dumps(v, ensure_ascii=False).encode("utf-16"))
    | st.binary(max_size=40)
)


@given(event=st.sampled_from(EVENTS), data=payload_files)
def test_plan_with_any_payload_file(repo: Path, event: str, data: bytes) -> None:
    path = repo.parent / f"payload{next(_COUNTER)}.json"
    path.write_bytes(data)
    code = main(["plan", "--event", event, "--payload", str(path), "--format", "json"])
    assert code in (0, 2), code
    assert code != EXIT_BUG
