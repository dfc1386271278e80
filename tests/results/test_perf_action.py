"""`uses: conveyor/perf@v1` in a real `conveyor run`: the job's benchmark results are
recorded with the run and commit, and the job fails on a confirmed regression beyond the
threshold, passes below it, with the findings in the step summary."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import textwrap
from pathlib import Path

import pytest

from conveyor.cli.main import main

WORKFLOW = """
name: bench
on: push
jobs:
  perf:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: echo "startup $(cat startup-ms) ms" > results.txt
      - id: perf
        uses: conveyor/perf@v1
        with:
          path: results.txt
          threshold: ${{ env.THRESHOLD }}
      - if: always()
        run: echo "regressions=${{ steps.perf.outputs.regressions }}"
env:
  THRESHOLD: "{threshold}"
"""


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@e", *args],
        check=True,
        capture_output=True,
    )


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("CONVEYOR_HOME", "CONVEYOR_DATABASE_URL", "CONVEYOR_REPOSITORY"):
        monkeypatch.delenv(name, raising=False)
    root = tmp_path / "repo"
    (root / ".github" / "workflows").mkdir(parents=True)
    _git(tmp_path, "init", "-q", "-b", "main", str(root))
    (root / ".gitignore").write_text(".conveyor/\n")
    monkeypatch.chdir(root)
    return root


def _push(repo: Path, ms: float, threshold: str) -> None:
    workflow = textwrap.dedent(WORKFLOW).replace("{threshold}", threshold)
    (repo / ".github" / "workflows" / "bench.yml").write_text(workflow)
    (repo / "startup-ms").write_text(f"{ms}\n")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "--allow-empty", "-m", f"startup {ms}")


def test_the_job_fails_on_a_confirmed_regression(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for i in range(15):  # the history on main, through the action itself
        _push(repo, 100 + i % 3, "10%")
        assert main(["run"]) == 0, capsys.readouterr().out
    capsys.readouterr()
    for _ in range(4):  # 30 % slower: suspect, not confirmed yet
        _push(repo, 130, "10%")
        assert main(["run"]) == 0
    assert re.search(r"suspect: startup is 2\d\.\d% slower", capsys.readouterr().out)
    _push(repo, 130, "10%")
    assert main(["run"]) == 1
    out = capsys.readouterr().out
    assert re.search(r"regression: startup is 2\d\.\d% slower \(101 -> 130 ms", out)
    assert "performance regression of 10% or more in startup" in out
    assert "regressions=1" in out
    # the same change judged with a threshold above it passes
    _push(repo, 131, "50%")
    assert main(["run"]) == 0
    capsys.readouterr()
    # recorded with each run's commit: the range names the last fast and first slow one
    assert main(["perf", "check", "--format", "json"]) == 1
    (finding,) = json.loads(capsys.readouterr().out)["findings"]
    log = subprocess.run(
        ["git", "-C", str(repo), "log", "--format=%H %s", "--reverse"],
        capture_output=True, text=True, check=True,
    ).stdout.splitlines()  # fmt: skip
    first_slow = next(line.split()[0] for line in log if line.endswith("startup 130"))
    last_fast = log[14].split()[0]
    assert (finding["last_good_commit"], finding["first_bad_commit"]) == (last_fast, first_slow)


SECRET_WORKFLOW = """
name: bench
on: push
jobs:
  perf:
    runs-on: ubuntu-latest
    steps:
      - run: echo "login[${{ secrets.TOKEN }}] 12 ms" > results.txt
      - uses: conveyor/perf@v1
        with:
          path: results.txt
"""


def test_a_branch_is_judged_against_main_and_secrets_stay_out(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for i in range(15):
        _push(repo, 100 + i % 3, "10%")
        assert main(["run"]) == 0
    _git(repo, "checkout", "-q", "-b", "feature")
    _push(repo, 140, "10%")
    capsys.readouterr()
    assert main(["run"]) == 0  # one value of a branch: a suspect, reported, not failing
    assert re.search(r"suspect: startup is 3\d\.\d% slower", capsys.readouterr().out)
    assert main(["perf", "check"]) == 0  # main's history is untouched by the branch
    assert "no change beyond the noise" in capsys.readouterr().out

    (repo / ".github" / "workflows" / "bench.yml").write_text(textwrap.dedent(SECRET_WORKFLOW))
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "secret")
    assert main(["run", "--secret", "TOKEN=hunter2-xyz"]) == 0
    capsys.readouterr()
    assert main(["perf", "check", "--branch", "feature", "--format", "json"]) == 0
    with sqlite3.connect(repo / ".conveyor" / "conveyor.db") as db:
        dump = "\n".join(db.iterdump())
    assert "login[***]" in dump and "hunter2-xyz" not in dump
