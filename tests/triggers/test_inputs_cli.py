"""Dispatch inputs through the real CLI: ``plan``, ``trigger`` and ``run`` agree (one
coercion, :mod:`conveyor.workflow.inputs`), and a refused input records no run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from trigger_helpers import Git, commit, conveyor

pytestmark = pytest.mark.slow

PICK = """\
name: Pick
on:
  workflow_dispatch:
    inputs:
      c:
        type: choice
        options: [1, 2]
      n:
        type: number
        default: 3
      flag:
        type: boolean
jobs:
  show:
    runs-on: ubuntu-latest
    steps:
      - env:
          TYPED: ${{ inputs.n == 3 && inputs.flag == false }}
          STRINGS: ${{ github.event.inputs.n == '3' && github.event.inputs.flag == 'false' }}
          C: ${{ inputs.c }}
          EVENT_C: ${{ github.event.inputs.c }}
        run: echo "c=$C event=$EVENT_C typed=$TYPED strings=$STRINGS"
"""
WF = ".github/workflows/pick.yml"
SEEN = "c=1 event=1 typed=true strings=true"


def _runs(repo: Path) -> list[dict[str, object]]:
    listed = conveyor(repo, "runs", "--format", "json")
    assert listed.returncode == 0, listed.stderr
    runs: list[dict[str, object]] = json.loads(listed.stdout)
    return runs


@pytest.fixture
def pick(repo: Path, git: Git) -> Path:
    commit(git, repo, {WF: PICK})
    return repo


def test_choice_options_read_as_numbers_accept_the_string_in_trigger_and_run(pick: Path) -> None:
    planned = conveyor(pick, "plan", "-W", WF, "--event", "workflow_dispatch", "--input", "c=1")
    assert planned.returncode == 0, planned.stdout + planned.stderr

    triggered = conveyor(pick, "trigger", "workflow_dispatch", "-W", WF, "--input", "c=1")
    assert triggered.returncode == 0, triggered.stdout + triggered.stderr
    assert "fires" in triggered.stdout and SEEN in triggered.stdout

    ran = conveyor(pick, "run", "-W", WF, "--input", "c=1")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert SEEN in ran.stdout

    assert [(r["run_number"], r["conclusion"]) for r in _runs(pick)] == [
        (2, "success"),
        (1, "success"),
    ]


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("c=3", "workflow_dispatch input 'c' must be one of [1, 2], got '3'"),
        ("n=many", "workflow_dispatch input 'n' must be a number, got 'many'"),
        ("flag=yes", "workflow_dispatch input 'flag' must be true or false, got 'yes'"),
        ("bogus=1", "workflow_dispatch input 'bogus' is not declared (declared: c, n, flag)"),
    ],
)
def test_a_refused_input_records_no_run_and_uses_no_run_number(
    pick: Path, given: str, message: str
) -> None:
    for command in (
        ("trigger", "workflow_dispatch", "-W", WF, "--input", "c=1", "--input", given),
        ("run", "-W", WF, "--input", "c=1", "--input", given),
    ):
        refused = conveyor(pick, *command)
        assert refused.returncode == 2, refused.stdout + refused.stderr
        assert message in refused.stderr
        assert "pick.yml:" in refused.stderr  # names the declaration's file:line
        assert _runs(pick) == []
    ok = conveyor(pick, "run", "-W", WF, "--input", "c=1")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert [(r["run_number"], r["conclusion"]) for r in _runs(pick)] == [(1, "success")]


def test_plan_reports_a_refused_value_at_its_declaration(pick: Path) -> None:
    planned = conveyor(pick, "plan", "-W", WF, "--event", "workflow_dispatch", "--input", "c=9")
    assert planned.returncode == 2
    assert "pick.yml:5:7: workflow_dispatch input 'c' must be one of [1, 2], got '9'" in (
        planned.stderr
    )


def test_a_required_input_without_default_is_refused(repo: Path, git: Git) -> None:
    commit(git, repo, {WF: PICK.replace("type: boolean", "type: boolean\n        required: true")})
    refused = conveyor(repo, "run", "-W", WF, "--input", "c=1")
    assert refused.returncode == 2
    assert "workflow_dispatch input 'flag' is required; pass it with --input flag=VALUE" in (
        refused.stderr
    )
    assert _runs(repo) == []
