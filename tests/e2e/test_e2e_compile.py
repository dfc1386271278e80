"""Compile before execute: called workflows and action.yml files are loaded and validated
before any job starts, and their problems name their own file, line and column."""

from __future__ import annotations

import subprocess
from pathlib import Path

from e2e_helpers import CONVEYOR, env_for, history, make_repo


def run_cli(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CONVEYOR, "run", *args],
        cwd=repo,
        env=env_for(repo),
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_called_workflow_with_an_unknown_key_stops_before_any_job(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "repo",
        {
            "ci.yml": """
                on: push
                jobs:
                  first:
                    runs-on: ubuntu-latest
                    steps:
                      - run: touch "$GITHUB_WORKSPACE/../first-ran"
                  call:
                    needs: first
                    uses: ./.github/workflows/called.yml
            """,
            "called.yml": """
                on: workflow_call
                jobs:
                  inner:
                    runs_on: ubuntu-latest
                    steps:
                      - run: echo inner
            """,
        },
    )
    result = run_cli(repo, "-W", ".github/workflows/ci.yml")
    assert result.returncode == 2, result.stdout + result.stderr
    assert ".github/workflows/called.yml:4:5:" in result.stderr
    assert "runs_on" in result.stderr and "runs-on" in result.stderr
    assert not list((repo / ".conveyor").glob("work/*/first-ran"))
    assert "ci.yml" not in history(repo)


def test_called_workflow_needs_cycle_is_positioned_in_the_callee(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "repo",
        {
            "ci.yml": """
                on: push
                jobs:
                  call:
                    uses: ./.github/workflows/called.yml
            """,
            "called.yml": """
                on: workflow_call
                jobs:
                  a:
                    needs: b
                    runs-on: ubuntu-latest
                    steps: [{run: echo a}]
                  b:
                    needs: a
                    runs-on: ubuntu-latest
                    steps: [{run: echo b}]
            """,
        },
    )
    result = run_cli(repo, "-W", ".github/workflows/ci.yml")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "called.yml:" in result.stderr and "cycle" in result.stderr
    line = next(x for x in result.stderr.splitlines() if "cycle" in x)
    assert line.split("called.yml:")[1].split(":")[0].isdigit()


def test_a_workflow_without_workflow_call_cannot_be_called(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "repo",
        {
            "ci.yml": """
                on: push
                jobs:
                  call:
                    uses: ./.github/workflows/other.yml
            """,
            "other.yml": """
                on: push
                jobs:
                  a: {runs-on: ubuntu-latest, steps: [{run: echo a}]}
            """,
        },
    )
    result = run_cli(repo, "-W", ".github/workflows/ci.yml")
    assert result.returncode == 2, result.stdout + result.stderr
    assert ".github/workflows/ci.yml:4:11:" in result.stderr
    assert "workflow_call" in result.stderr


def test_invalid_action_metadata_is_reported_at_its_own_line(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "repo",
        {
            "ci.yml": """
                on: push
                jobs:
                  a:
                    runs-on: ubuntu-latest
                    steps:
                      - run: touch "$GITHUB_WORKSPACE/../first-ran"
                      - uses: ./actions/broken
            """,
            "actions/broken/action.yml": """
                name: broken
                runs:
                  using: composite
                  steps:
                    - run: echo hi
                      shel: bash
            """,
        },
    )
    result = run_cli(repo)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "actions/broken/action.yml:6:" in result.stderr
    assert not list((repo / ".conveyor").glob("work/*/first-ran"))


def test_missing_local_action_is_reported_at_the_uses_key(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "repo",
        {
            "ci.yml": """
                on: push
                jobs:
                  a:
                    runs-on: ubuntu-latest
                    steps:
                      - uses: ./nowhere
            """,
        },
    )
    result = run_cli(repo)
    assert result.returncode == 2, result.stdout + result.stderr
    assert ".github/workflows/ci.yml:6:" in result.stderr and "nowhere" in result.stderr


def test_call_with_an_undeclared_input_is_refused_at_the_callers_key(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "repo",
        {
            "ci.yml": """
                on: push
                jobs:
                  call:
                    uses: ./.github/workflows/called.yml
                    with:
                      colour: blue
            """,
            "called.yml": """
                on:
                  workflow_call:
                    inputs:
                      color: {type: string, required: true}
                jobs:
                  a: {runs-on: ubuntu-latest, steps: [{run: echo a}]}
            """,
        },
    )
    result = run_cli(repo, "-W", ".github/workflows/ci.yml")
    assert result.returncode == 2, result.stdout + result.stderr
    assert ".github/workflows/ci.yml:6:7:" in result.stderr and "colour" in result.stderr
    assert "did you mean 'color'" in result.stderr
    assert ".github/workflows/ci.yml:4:11:" in result.stderr  # the required one not given
    assert "ci.yml" not in history(repo)
