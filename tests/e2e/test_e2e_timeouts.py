"""``timeout-minutes`` that is not a non-negative number fails the job or the step, naming
the key's file:line:col, as on GitHub (issue 10 #10): never a silent fallback to 360
minutes or to no limit. Through the real ``conveyor run``, under whichever executor the
suite runs (``make check`` runs tests/e2e again with ``CONVEYOR_EXECUTOR=process``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from e2e_helpers import make_repo

from conveyor.cli.main import main

SAYS = "timeout-minutes must be a non-negative number"

JOB_LEVEL = """
on: push
jobs:
  bad:
    runs-on: ubuntu-latest
    timeout-minutes: {value}
    steps:
      - run: echo "bad job ran a step"
  good:
    runs-on: ubuntu-latest
    steps:
      - run: echo "good job ran"
"""

STEP_LEVEL = """
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: echo "first step ran"
      - name: Limited
        timeout-minutes: {value}
        run: echo "limited step ran"
      - run: echo "after the bad step"
"""


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    for name in ("CONVEYOR_HOME", "CONVEYOR_DATABASE_URL", "CONVEYOR_ACTIONS_URL"):
        monkeypatch.delenv(name, raising=False)


def _run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workflow: str) -> tuple[int, Path]:
    repo = make_repo(tmp_path / "r", {"ci.yml": workflow})
    monkeypatch.chdir(repo)
    return main(["run"]), repo / ".github" / "workflows" / "ci.yml"


@pytest.mark.parametrize(
    ("value", "shown"),
    [("${{ 'abc' }}", "'abc'"), ("-5", "-5"), ("${{ fromJSON('-0.5') }}", "-0.5")],
)
def test_job_timeout_that_is_not_a_number_fails_the_job_at_its_key(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    value: str,
    shown: str,
) -> None:
    code, path = _run(tmp_path, monkeypatch, JOB_LEVEL.format(value=value))
    out = capsys.readouterr().out
    assert code == 1, out
    assert f"{path}:5:5: {SAYS}, got {shown}" in out  # the key's line and column
    printed = [line.rsplit("] ", 1)[-1] for line in out.splitlines()]
    assert "bad job ran a step" not in printed  # failed before any step
    assert "good job ran" in printed  # other jobs are not affected
    assert main(["show", "1", "--format", "json"]) == 0
    shown_run = capsys.readouterr().out
    assert '"conclusion": "failure"' in shown_run and f"{path}:5:5: {SAYS}" in shown_run


@pytest.mark.parametrize(
    ("value", "shown"), [("${{ 'abc' }}", "'abc'"), ("${{ -1.5 }}", "-1.5"), ("-2", "-2")]
)
def test_step_timeout_that_is_not_a_number_fails_the_step_at_its_key(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    value: str,
    shown: str,
) -> None:
    code, path = _run(tmp_path, monkeypatch, STEP_LEVEL.format(value=value))
    out = capsys.readouterr().out
    assert code == 1, out
    printed = [line.rsplit("] ", 1)[-1] for line in out.splitlines()]
    assert "first step ran" in printed
    assert "limited step ran" not in printed and "after the bad step" not in printed
    message = f"{path}:8:9: {SAYS}, got {shown}"
    assert message in out
    assert f"{path}:7:9: {path}:8:9:" not in out  # positioned once, at the key
    assert f"✗ Limited ({message}" in out
    assert main(["show", "1"]) == 0
    steps = capsys.readouterr().out
    assert any(line.split()[1:3] == ["Limited", "failure"] for line in steps.splitlines()[1:])
