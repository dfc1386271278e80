"""One payload builder: ``conveyor run --event X`` and ``conveyor trigger X`` give a step the
same ``$GITHUB_EVENT_PATH`` (read by a real step, through the real CLI)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from trigger_helpers import Git, commit, conveyor

from conveyor.planner import PayloadRepo, default_payload

pytestmark = pytest.mark.slow

WORKFLOW = """\
name: Echo
on:
  push:
  pull_request:
  workflow_dispatch:
    inputs:
      level:
        type: choice
        options: [1, 2]
        default: 2
      note:
        type: string
jobs:
  keep:
    runs-on: ubuntu-latest
    steps:
      - run: cp "$GITHUB_EVENT_PATH" "{out}"
"""
WF = ".github/workflows/echo.yml"


def _payload(repo: Path, out: Path, *args: str) -> dict[str, Any]:
    done = conveyor(repo, *args)
    assert done.returncode == 0, done.stdout + done.stderr
    data: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    out.unlink()
    return data


@pytest.mark.parametrize(
    ("run_args", "trigger_args"),
    [
        (("run", "--event", "push"), ("trigger", "push")),
        (("run", "--event", "pull_request"), ("trigger", "pull_request")),
        (
            ("run", "-W", WF, "--event", "workflow_dispatch", "--input", "note=hi"),
            ("trigger", "workflow_dispatch", "-W", WF, "--input", "note=hi"),
        ),
    ],
)
def test_run_and_trigger_build_the_same_payload(
    repo: Path, git: Git, tmp_path: Path, run_args: tuple[str, ...], trigger_args: tuple[str, ...]
) -> None:
    out = tmp_path / "event.json"
    commit(git, repo, {WF: WORKFLOW.format(out=out), "src/app.py": "x = 1\n"}, "second")
    from_run = _payload(repo, out, *run_args)
    from_trigger = _payload(repo, out, *trigger_args)
    assert from_run == from_trigger
    assert from_run["repository"]["default_branch"] == "main"
    if "workflow_dispatch" in trigger_args:
        assert from_run["inputs"] == {"level": "2", "note": "hi"}
        assert from_run["workflow"] == WF


def test_default_payloads_without_a_repository() -> None:
    repo = PayloadRepo("octo/app", "trunk", "mona")
    push = default_payload("push", repo, sha="a" * 40)
    assert push["ref"] == "refs/heads/trunk" and push["after"] == "a" * 40
    assert push["head_commit"] == {"id": "a" * 40} and push["sender"] == {"login": "mona"}
    pr = default_payload("pull_request", repo)
    assert pr["pull_request"]["base"]["ref"] == "trunk" and pr["action"] == "opened"
    dispatch = default_payload("workflow_dispatch", repo, inputs={"n": 3, "b": True})
    assert dispatch["inputs"] == {"n": "3", "b": "true"}  # strings, as on GitHub
    assert default_payload("schedule", repo, cron="0 0 * * *")["schedule"] == "0 0 * * *"
    assert default_payload("issues", repo)["repository"]["full_name"] == "octo/app"
