"""What act users expect, through the real CLI (``conveyor.cli.main.main`` in-process):
--matrix, --job with a display name, .secrets/.env/.vars, --dry-run, list, -h/--version,
dispatch inputs from --payload, unknown names exit 2, repository-relative workflow names,
commands from a subdirectory, and trigger --label."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from e2e_helpers import make_repo

from conveyor import __version__
from conveyor.cli.main import main

MATRIX = """
name: Matrix
on: push
jobs:
  test:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        os: [a, b]
        py: [1, 2]
    steps:
      - run: echo "combo=${{ matrix.os }}-${{ matrix.py }}"
"""


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    for name in ("CONVEYOR_HOME", "CONVEYOR_DATABASE_URL", "CONVEYOR_ACTIONS_URL"):
        monkeypatch.delenv(name, raising=False)


def cli(where: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    monkeypatch.chdir(where)
    return main(list(args))


def combos(out: str) -> list[str]:
    return sorted(set(re.findall(r"\] combo=(\S+)", out)))


def recorded_runs(repo: Path) -> int:
    db = repo / ".conveyor" / "conveyor.db"
    if not db.exists():
        return 0
    import sqlite3

    with sqlite3.connect(db) as connection:
        return int(connection.execute("select count(*) from runs").fetchone()[0])


# ---------------------------------------------------------------- --matrix and --job


def test_matrix_option_selects_combinations(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make_repo(tmp_path / "r", {"m.yml": MATRIX})
    assert cli(repo, monkeypatch, "run", "--matrix", "py:2") == 0
    assert combos(capsys.readouterr().out) == ["a-2", "b-2"]
    # repeated values of one key are alternatives; keys combine
    assert (
        cli(repo, monkeypatch, "run", "--matrix", "py:1", "--matrix", "py:2", "--matrix", "os:b")
        == 0
    )
    assert combos(capsys.readouterr().out) == ["b-1", "b-2"]


def test_matrix_option_refuses_bad_items_and_unknown_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make_repo(tmp_path / "r", {"m.yml": MATRIX})
    assert cli(repo, monkeypatch, "run", "--matrix", "py=2") == 2
    assert "--matrix expects KEY:VALUE, got 'py=2'" in capsys.readouterr().err
    assert cli(repo, monkeypatch, "run", "--matrix", "python:3") == 2
    err = capsys.readouterr().err
    assert "--matrix python" in err and "keys: os, py" in err
    assert recorded_runs(repo) == 0


def test_job_accepts_a_matrix_display_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make_repo(tmp_path / "r", {"m.yml": MATRIX})
    assert cli(repo, monkeypatch, "run", "--job", "test (b, 1)") == 0
    assert combos(capsys.readouterr().out) == ["b-1"]
    assert cli(repo, monkeypatch, "run", "--job", "test (c, 9)") == 2
    err = capsys.readouterr().err
    assert "--job test (c, 9): no such job" in err and "test (a, 1)" in err
    assert cli(repo, monkeypatch, "run", "--job", "nope") == 2


# ---------------------------------------------------------------- .secrets / .env / .vars

DOTENV = """
on: push
jobs:
  show:
    runs-on: ubuntu-latest
    steps:
      - run: echo "var=${{ vars.LEVEL }} env=$EXTRA len=${#TOKEN}"
        env:
          TOKEN: ${{ secrets.TOKEN }}
"""


def test_dotenv_files_are_read_from_the_repository_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make_repo(tmp_path / "r", {"d.yml": DOTENV})
    (repo / ".secrets").write_text("TOKEN=s3cret\n")
    (repo / ".env").write_text("EXTRA=from-env-file\n")
    (repo / ".vars").write_text("LEVEL=7\n")
    (repo / "other.vars").write_text("LEVEL=8\n")
    sub = repo / "deep" / "er"
    sub.mkdir(parents=True)
    assert cli(sub, monkeypatch, "run") == 0  # from a subdirectory: the root's files
    out = capsys.readouterr().out
    assert "var=7 env=from-env-file len=6" in out
    assert "s3cret" not in out
    assert cli(repo, monkeypatch, "run", "--var-file", "other.vars", "--var", "X=1") == 0
    assert "var=8 env=from-env-file" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("name", "option"),
    [(".env", "--env-file"), (".secrets", "--secret-file"), (".vars", "--var-file")],
)
def test_a_bad_dotenv_line_names_its_file_and_line_and_stops(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    name: str,
    option: str,
) -> None:
    repo = make_repo(tmp_path / "r", {"d.yml": DOTENV})
    (repo / name).write_text('GOOD=1\nBAD "unclosed\n')
    assert cli(repo, monkeypatch, "run") == 2
    err = capsys.readouterr().err
    assert f"{repo / name}:2: cannot parse this line" in err
    assert recorded_runs(repo) == 0
    (repo / "given.env").write_text("NOVALUE\n")
    assert cli(repo, monkeypatch, "run", option, "given.env") == 2
    assert "given.env:1: NOVALUE has no value" in capsys.readouterr().err


# ---------------------------------------------------------------- --dry-run

DRY = """
name: Dry
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: touch ran.txt
      - name: on main
        if: github.ref == 'refs/heads/main'
        run: echo main
      - name: on pull requests
        if: ${{ github.event_name == 'pull_request' }}
        run: echo pr
      - name: later
        if: steps.x.outputs.y == 'z'
        run: echo later
  test:
    needs: build
    runs-on: ubuntu-latest
    strategy:
      matrix:
        py: ['3.11', '3.12']
    steps:
      - if: matrix.py == '3.12'
        run: echo newest
  deploy:
    needs: test
    if: vars.DEPLOY == 'yes'
    runs-on: ubuntu-latest
    steps:
      - run: echo deploy
"""


def test_dry_run_shows_jobs_steps_and_decided_ifs_and_runs_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make_repo(tmp_path / "r", {"dry.yml": DRY})
    assert cli(repo, monkeypatch, "run", "--dry-run", "--var", "DEPLOY=no") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("dry run: nothing runs and nothing is recorded")
    body = [line.rstrip() for line in lines[2:]]
    assert body == [
        ".github/workflows/dry.yml (Dry), on push:",
        "  build",
        "    1. Run touch ran.txt",
        "    2. on main  [if: github.ref == 'refs/heads/main' -> true]",
        "    3. on pull requests  [if: ${{ github.event_name == 'pull_request' }} -> false]"
        "  (skipped)",
        "    4. later  [if: steps.x.outputs.y == 'z' -> decided at run time]",
        "  test (3.11)  needs: build",
        "    1. Run echo newest  [if: matrix.py == '3.12' -> false]  (skipped)",
        "  test (3.12)  needs: build",
        "    1. Run echo newest  [if: matrix.py == '3.12' -> true]",
        "  deploy  needs: test  [if: vars.DEPLOY == 'yes' -> false]  (skipped)",
    ]
    assert not (repo / "ran.txt").exists()
    assert recorded_runs(repo) == 0
    # with --matrix and --job: only what was asked for (and what it needs)
    assert cli(repo, monkeypatch, "run", "-n", "--job", "test", "--matrix", "py:3.12") == 0
    out = capsys.readouterr().out
    assert "  test (3.12)" in out and "test (3.11)" not in out
    assert "  build" in out and "deploy" not in out


# ---------------------------------------------------------------- list, -h, --version

PR_ONLY = """
on: pull_request
jobs:
  check:
    runs-on: ubuntu-latest
    steps: [{run: echo check}]
"""


def test_list_shows_workflows_and_jobs_and_filters_by_event(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make_repo(tmp_path / "r", {"dry.yml": DRY, "pr.yml": PR_ONLY})
    assert cli(repo / ".github", monkeypatch, "list") == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [
        ".github/workflows/dry.yml (Dry)  on: push",
        "  build",
        "  test  needs: build",
        "  deploy  needs: test",
        ".github/workflows/pr.yml  on: pull_request",
        "  check",
    ]
    assert cli(repo, monkeypatch, "list", "--event", "push") == 0
    out = capsys.readouterr().out
    assert "dry.yml" in out and "pr.yml" not in out
    assert cli(repo, monkeypatch, "list", "--event", "pul_request") == 2
    assert "did you mean pull_request" in capsys.readouterr().err


def test_short_help_and_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-h"]) == 0
    out = capsys.readouterr().out
    assert "Usage:" in out and "-h, --help" in out and "list" in out
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == __version__
    assert main(["run", "-h"]) == 0
    assert "--matrix" in capsys.readouterr().out


# ---------------------------------------------------------------- inputs, names, events

DISPATCH = """
on:
  workflow_dispatch:
    inputs:
      who:
        required: true
      loud:
        type: boolean
        default: false
jobs:
  hello:
    runs-on: ubuntu-latest
    steps:
      - run: echo "who=${{ inputs.who }} loud=${{ inputs.loud }} wf=$GITHUB_WORKFLOW"
"""


def test_dispatch_inputs_come_from_the_payload(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make_repo(tmp_path / "r", {"d.yml": DISPATCH})
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"inputs": {"who": "payload", "loud": True}}))
    args = ["run", "--event", "workflow_dispatch", "--payload", str(event)]
    assert cli(repo, monkeypatch, *args) == 0
    out = capsys.readouterr().out
    # an unnamed workflow is called by its repository-relative path, also in GITHUB_WORKFLOW
    assert "who=payload loud=true wf=.github/workflows/d.yml" in out
    assert cli(repo, monkeypatch, *args, "--input", "who=cli") == 0
    assert "who=cli loud=true" in capsys.readouterr().out


def test_unknown_event_and_status_exit_2_listing_the_valid_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make_repo(tmp_path / "r", {"m.yml": MATRIX})
    for command in ("run", "plan"):
        assert cli(repo, monkeypatch, command, "--event", "pusj") == 2
        err = capsys.readouterr().err
        assert "--event pusj: not an event GitHub sends (did you mean push?)" in err
        assert "one of: branch_protection_rule, check_run" in err and "workflow_dispatch" in err
    assert cli(repo, monkeypatch, "runs", "--status", "bogus") == 2
    err = capsys.readouterr().err
    assert "--status bogus: not a status" in err and "success" in err and "in_progress" in err
    assert recorded_runs(repo) == 0


def test_commands_work_from_a_subdirectory_with_repository_relative_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make_repo(tmp_path / "r", {"d.yml": DOTENV, "src/app/main.py": "x = 1\n"})
    sub = repo / "src" / "app"
    assert cli(sub, monkeypatch, "validate") == 0
    assert "1 file checked: 0 error(s)" in capsys.readouterr().err
    assert cli(sub, monkeypatch, "plan") == 0
    assert ".github/workflows/d.yml: fires" in capsys.readouterr().out
    assert cli(sub, monkeypatch, "run", "--var", "LEVEL=1") == 0
    assert "var=1" in capsys.readouterr().out
    assert recorded_runs(repo) == 1 and not (sub / ".conveyor").exists()
    assert cli(sub, monkeypatch, "runs") == 0
    assert ".github/workflows/d.yml" in capsys.readouterr().out
    assert cli(sub, monkeypatch, "trigger", "push", "--dry-run") == 0
    assert "fires  .github/workflows/d.yml" in capsys.readouterr().out


# ---------------------------------------------------------------- trigger --label

LABELED = """
on:
  pull_request:
    types: [labeled]
jobs:
  merge:
    if: github.event.label.name == 'ready-for-merge'
    runs-on: ubuntu-latest
    steps:
      - run: echo "action=${{ github.event.action }} label=${{ github.event.label.name }}"
"""


def test_trigger_pull_request_label_sends_a_labeled_event(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make_repo(tmp_path / "r", {"l.yml": LABELED})
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@e"]
    subprocess.run([*git, "checkout", "-qb", "feature"], check=True)
    (repo / "f.txt").write_text("f\n")
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "f"], check=True)
    assert cli(repo, monkeypatch, "trigger", "pull_request", "--label", "ready-for-merge") == 0
    out = capsys.readouterr().out
    assert "fires  .github/workflows/l.yml" in out
    assert "action=labeled label=ready-for-merge" in out
