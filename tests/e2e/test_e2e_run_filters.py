"""`conveyor run` and `conveyor plan` decide path filters from git and check dispatch inputs."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from e2e_helpers import make_repo

from conveyor.agent.address import NO_AGENT_ENV as NO_AGENT
from conveyor.cli.main import main

PATHS_WORKFLOW = """
name: api
on:
  push:
    branches: [main]
    paths: ['src/api/**']
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: echo api-built
"""

DISPATCH_WORKFLOW = """
name: deploy
on:
  workflow_dispatch:
    inputs:
      environment:
        type: choice
        options: [dev, staging, prod]
        required: true
      dry:
        type: boolean
        default: false
jobs:
  go:
    runs-on: ubuntu-latest
    steps:
      - run: echo "env=${{ inputs.environment }} dry=${{ inputs.dry }}"
"""


def _commit(repo: Path, path: str) -> None:
    target = repo / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("x\n", encoding="utf-8")
    subprocess.run(["git", "-C", str(repo), "add", "."], check=True)
    subprocess.run(
        [
            "git",
            "-C",
            str(repo),
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@e",
            "commit",
            "-qm",
            path,
        ],
        check=True,
    )


@pytest.fixture
def in_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    repo = make_repo(
        tmp_path / "repo", {"api.yml": PATHS_WORKFLOW, "deploy.yml": DISPATCH_WORKFLOW}
    )
    monkeypatch.chdir(repo)
    monkeypatch.setenv("CI", "true")
    for key in [k for k in os.environ if k.startswith("CONVEYOR_") and k != NO_AGENT]:
        monkeypatch.delenv(key)
    return repo


def test_push_touching_other_paths_runs_nothing(
    in_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _commit(in_repo, "docs/readme.md")
    assert main(["run"]) == 0
    out = capsys.readouterr().out
    assert "no workflow is triggered" in out
    assert "api-built" not in out


def test_push_touching_filtered_path_runs_workflow(
    in_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _commit(in_repo, "src/api/handler.py")
    assert main(["run"]) == 0
    assert "api-built" in capsys.readouterr().out


def test_plan_names_the_path_filter_that_stopped_a_workflow(
    in_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _commit(in_repo, "docs/readme.md")
    assert main(["plan", "--format", "json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    api = next(w for w in plan["workflows"] if w["name"] == "api")
    assert api["fires"] is False
    assert "src/api/**" in api["reason"]
    _commit(in_repo, "src/api/x.py")
    assert main(["plan", "--format", "json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert next(w for w in plan["workflows"] if w["name"] == "api")["fires"] is True


def test_dispatch_input_not_in_choices_is_bad_input(
    in_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "--input", "environment=qa"]) == 2
    err = capsys.readouterr().err
    assert "deploy.yml" in err
    assert "environment" in err


def test_dispatch_missing_required_input_is_bad_input(
    in_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "--event", "workflow_dispatch", "--input", "dry=true"]) == 2
    assert "required" in capsys.readouterr().err


def test_dispatch_with_valid_inputs_runs_typed(
    in_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "--input", "environment=staging", "--input", "dry=true"]) == 0
    assert "env=staging dry=true" in capsys.readouterr().out


def test_steps_can_call_the_conveyor_that_runs_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    workflow = """
    name: self
    on: push
    jobs:
      call:
        runs-on: ubuntu-latest
        steps:
          - run: conveyor version
          - run: conveyor runs --format json > "$RUNNER_TEMP/runs.json"
          - shell: python
            run: |
              import json, os
              runs = json.load(open(os.environ["RUNNER_TEMP"] + "/runs.json"))
              assert runs[0]["workflow_name"] == "self", runs
              assert runs[0]["status"] == "in_progress", runs
    """
    repo = make_repo(tmp_path / "self", {"self.yml": workflow})
    monkeypatch.chdir(repo)
    monkeypatch.setenv("PATH", "/usr/bin:/bin")  # conveyor's own venv is not on PATH
    # A state directory away from the repository: steps must still report on this run.
    assert main(["run", "--state-dir", str(tmp_path / "elsewhere")]) == 0
    from conveyor import __version__

    assert f"] {__version__}" in capsys.readouterr().out


def test_state_directory_is_never_added_to_the_users_repository(
    in_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _commit(in_repo, "src/api/handler.py")
    assert main(["run"]) == 0
    assert (in_repo / ".conveyor" / "conveyor.db").exists()
    subprocess.run(["git", "-C", str(in_repo), "add", "-A"], check=True)
    staged = subprocess.run(
        ["git", "-C", str(in_repo), "status", "--porcelain"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert ".conveyor" not in staged


DEFAULTS_WORKFLOW = """
name: defaults
on:
  workflow_dispatch:
    inputs:
      dry:
        type: boolean
        default: false
      count:
        type: number
        default: 3
jobs:
  show:
    runs-on: ubuntu-latest
    steps:
      - run: echo "typed=${{ inputs.dry == false && inputs.count == 3 }}"
      - run: echo "text=${{ github.event.inputs.dry == 'false' }}-${{ github.event.inputs.count }}"
"""


def test_dispatch_event_inputs_hold_every_input_as_a_string(
    in_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workflow = in_repo / ".github" / "workflows" / "defaults.yml"
    workflow.write_text(DEFAULTS_WORKFLOW.lstrip(), encoding="utf-8")
    # Nothing given: both inputs take their defaults, typed in `inputs`, strings in the event.
    assert main(["run", "-W", str(workflow), "--event", "workflow_dispatch"]) == 0
    out = capsys.readouterr().out
    assert "typed=true" in out
    assert "text=true-3" in out
