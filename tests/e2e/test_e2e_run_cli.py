"""``conveyor run`` in-process through ``conveyor.cli.main.main``."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from e2e_helpers import all_files_text, db_dump, make_repo

from conveyor.cli.main import main
from state_helpers import run_folder

OK = """
name: CI
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: test -f marker.txt && echo "checked out"
      - run: echo "## built" >> "$GITHUB_STEP_SUMMARY"
  test:
    needs: build
    runs-on: ubuntu-latest
    steps:
      - run: echo "var=${{ vars.LEVEL }} env=$EXTRA"
"""


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    for name in ("CONVEYOR_HOME", "CONVEYOR_DATABASE_URL", "CONVEYOR_ACTIONS_URL"):
        monkeypatch.delenv(name, raising=False)


def run_in(repo: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    monkeypatch.chdir(repo)
    return main(["run", *args])


def test_success_checkout_vars_env_and_summary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make_repo(tmp_path / "r", {"ci.yml": OK, "marker.txt": "x"})
    code = run_in(repo, monkeypatch, "--var", "LEVEL=3", "--env", "EXTRA=yes", "--jobs", "2")
    out = capsys.readouterr().out
    assert code == 0, out
    assert "checked out" in out
    assert "var=3 env=yes" in out
    assert "## built" in out  # the step summary appears in the end summary
    assert main(["runs"]) == 0
    assert "success" in capsys.readouterr().out


def test_failure_exit_1_and_invalid_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    failing = """
    on: push
    jobs:
      bad:
        runs-on: ubuntu-latest
        steps:
          - run: exit 1
    """
    repo = make_repo(tmp_path / "r", {"f.yml": failing})
    assert run_in(repo, monkeypatch) == 1
    invalid = make_repo(tmp_path / "i", {"x.yml": "on: push\njobs:\n  a:\n    stepz: []\n"})
    capsys.readouterr()
    assert run_in(invalid, monkeypatch) == 2
    assert "x.yml:" in capsys.readouterr().err


def test_bad_arguments_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_repo(tmp_path / "r", {"ci.yml": OK, "marker.txt": "x"})
    assert run_in(repo, monkeypatch, "--var", "novalue") == 2
    assert run_in(repo, monkeypatch, "--job", "nope") == 2
    assert run_in(repo, monkeypatch, "--platform", "x=maybe") == 2
    assert run_in(repo, monkeypatch, "--checkout", "zip") == 2


def test_event_selection_inputs_and_job_filter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    dispatch = """
    name: Manual
    on:
      workflow_dispatch:
        inputs:
          target: {type: string, default: staging}
          loud: {type: boolean, default: false}
    jobs:
      deploy:
        runs-on: ubuntu-latest
        steps:
          - run: echo "target=${{ inputs.target }} loud=${{ inputs.loud }} ev=$GITHUB_EVENT_NAME"
      other:
        runs-on: ubuntu-latest
        steps:
          - run: echo other-ran
    """
    repo = make_repo(tmp_path / "r", {"ci.yml": OK, "manual.yml": dispatch, "marker.txt": "x"})
    code = run_in(
        repo, monkeypatch, "--input", "target=prod", "--input", "loud=true", "--job", "deploy"
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "target=prod loud=true ev=workflow_dispatch" in out
    assert "other-ran" not in out
    assert "checked out" not in out  # the push workflow did not fire


def test_platform_option_and_unsupported_runs_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    wf = """
    on: push
    jobs:
      win:
        runs-on: windows-latest
        steps:
          - run: echo win-ran
    """
    repo = make_repo(tmp_path / "r", {"w.yml": wf})
    assert run_in(repo, monkeypatch) == 0
    out = capsys.readouterr().out
    assert "not available locally" in out and "win-ran" not in out
    assert run_in(repo, monkeypatch, "--platform", "windows-latest=local") == 0
    assert "win-ran" in capsys.readouterr().out


def test_runs_on_group_is_a_runner_group_as_in_the_plan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    wf = """
    on: push
    jobs:
      grouped:
        runs-on: {group: big, labels: [ubuntu-latest]}
        steps:
          - run: echo grouped-ran
    """
    repo = make_repo(tmp_path / "r", {"g.yml": wf})
    monkeypatch.chdir(repo)
    assert main(["plan"]) == 0
    assert "runs-on: group big; ubuntu-latest" in capsys.readouterr().out
    assert run_in(repo, monkeypatch) == 0
    out = capsys.readouterr().out
    assert "runner group 'big' is not available locally" in out and "grouped-ran" not in out
    assert run_in(repo, monkeypatch, "--platform", "big=local") == 0
    assert "grouped-ran" in capsys.readouterr().out


def test_secrets_masked_in_console_logs_db_summary_and_outputs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    wf = """
    on: push
    jobs:
      leak:
        runs-on: ubuntu-latest
        outputs:
          out: ${{ steps.s.outputs.v }}
        steps:
          - id: s
            run: |
              echo "a=${{ secrets.FROM_CLI }} b=${{ secrets.FROM_FILE }} c=${{ secrets.FROM_ENV }}"
              echo "::add-mask::runtime-secret-77"
              echo "d=runtime-secret-77"
              echo "v=${{ secrets.FROM_CLI }}" >> "$GITHUB_OUTPUT"
              echo "sum ${{ secrets.FROM_FILE }}" >> "$GITHUB_STEP_SUMMARY"
    """
    repo = make_repo(tmp_path / "r", {"s.yml": wf})
    (tmp_path / "secrets.env").write_text("FROM_FILE=file-secret-value\n")
    monkeypatch.setenv("CONVEYOR_SECRET_FROM_ENV", "env-secret-value")
    code = run_in(
        repo,
        monkeypatch,
        "--secret",
        "FROM_CLI=cli-secret-value",
        "--secret-file",
        str(tmp_path / "secrets.env"),
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "a=*** b=*** c=***" in out and "d=***" in out and "sum ***" in out
    values = ("cli-secret-value", "file-secret-value", "env-secret-value", "runtime-secret-77")
    stored = db_dump(repo) + all_files_text(repo / ".conveyor" / "logs")
    for value in values:
        assert value not in out
        assert value not in stored
    assert "Skip output 'out'" in out


def test_checkout_worktree_mode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    wf = """
    on: push
    jobs:
      build:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - run: test -f marker.txt && test -e .git && echo "worktree ok"
    """
    repo = make_repo(tmp_path / "r", {"w.yml": wf, "marker.txt": "x"})
    code = run_in(repo, monkeypatch, "--checkout", "worktree")
    out = capsys.readouterr().out
    assert code == 0, out
    assert "worktree ok" in out


def test_worktree_checkouts_are_released_when_the_job_ends_and_by_gc(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import subprocess
    import time

    wf = """
    on: push
    jobs:
      a:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - run: test -f marker.txt && echo "a ok"
      b:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - run: exit 1
    """
    repo = make_repo(tmp_path / "r", {"w.yml": wf, "marker.txt": "x"})

    def worktrees() -> list[str]:
        out = subprocess.run(
            ["git", "-C", str(repo), "worktree", "list", "--porcelain"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        return [line for line in out.splitlines() if line.startswith("worktree ")]

    assert run_in(repo, monkeypatch, "--checkout", "worktree") == 1  # job b fails
    out = capsys.readouterr().out
    assert "a ok" in out
    assert worktrees() == [f"worktree {repo}"], out  # released after each job, failed too
    # a worktree left by a run that never got to release it (killed): gc prunes it
    left = repo / ".conveyor" / "work" / run_folder(repo / ".conveyor", 1) / "leftover"
    subprocess.run(
        ["git", "-C", str(repo), "worktree", "add", "-q", "--detach", str(left)], check=True
    )
    assert len(worktrees()) == 2
    time.sleep(1.1)
    assert main(["gc", "--older-than", "1s"]) == 0
    assert not left.exists()
    assert worktrees() == [f"worktree {repo}"]


def test_job_environment_name_and_url_are_recorded_with_the_job(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    deploy = """
        on: push
        jobs:
          deploy:
            runs-on: ubuntu-latest
            environment:
              name: stag${{ 'ing' }}
              url: https://example.test/${{ steps.s.outputs.page }}?sha=${{ github.sha }}
            steps:
              - id: s
                run: echo "page=app" >> "$GITHUB_OUTPUT"
          plain:
            runs-on: ubuntu-latest
            steps:
              - run: echo plain
    """
    repo = make_repo(tmp_path / "r", {"deploy.yml": deploy})
    assert run_in(repo, monkeypatch) == 0, capsys.readouterr().out
    sha = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    capsys.readouterr()
    assert main(["show", "1", "--format", "json"]) == 0
    jobs = {j["job_key"]: j for j in json.loads(capsys.readouterr().out)["jobs"]}
    assert (jobs["deploy"]["environment"], jobs["deploy"]["environment_url"]) == (
        "staging",
        f"https://example.test/app?sha={sha}",
    )
    assert (jobs["plain"]["environment"], jobs["plain"]["environment_url"]) == (None, "")
    assert main(["show", "1"]) == 0
    shown = capsys.readouterr().out
    assert f"environment: staging (https://example.test/app?sha={sha})" in shown
