"""A secret in a step's ``name:`` is masked in everything shown and stored (issue 10 #2).

Through the real ``conveyor run`` (under whichever executor the suite runs: ``make check``
runs tests/e2e again with ``CONVEYOR_EXECUTOR=process``): the plain console, the live
console on a terminal, ``conveyor show`` (text and JSON), ``conveyor logs``, every column
of every table of the database, and every file and file name under the state directory.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from e2e_helpers import leaks, make_repo, run_in_terminal, sqlite_leaks, state_leaks

from conveyor.cli.main import main

SECRET = "Zq7/Tok+en=42&x é9kWv"

WORKFLOW = """
on: push
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - name: Deploy with ${{ secrets.T }}
        run: echo "deploying now"
      - name: Tag ${{ secrets.T }} for release
        run: |
          echo "tagging"
          exit 3
"""


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    for name in ("CONVEYOR_HOME", "CONVEYOR_DATABASE_URL", "CONVEYOR_ACTIONS_URL"):
        monkeypatch.delenv(name, raising=False)


def test_secret_in_a_step_name_is_masked_everywhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make_repo(tmp_path / "r", {"ci.yml": WORKFLOW})
    monkeypatch.chdir(repo)
    state = repo / ".conveyor"

    assert main(["run", "--secret", f"T={SECRET}"]) == 1
    plain = capsys.readouterr().out
    assert "Deploy with ***" in plain and "Tag *** for release" in plain
    assert "deploying now" in plain
    assert leaks(plain, SECRET) == []

    code, live = run_in_terminal(repo, "run", "--secret", f"T={SECRET}")
    assert code == 1, live
    assert "Deploy with ***" in live and "\x1b[" in live  # the live view, on a terminal
    assert leaks(live, SECRET) == []

    assert main(["show", "1"]) == 0
    shown = capsys.readouterr().out
    assert "Deploy with ***" in shown and "Tag *** for release" in shown
    assert leaks(shown, SECRET) == []

    assert main(["show", "2", "--format", "json"]) == 0
    data = capsys.readouterr().out
    names = [s["name"] for j in json.loads(data)["jobs"] for s in j["steps"]]
    assert names == ["Deploy with ***", "Tag *** for release"]
    assert leaks(data, SECRET) == [] and leaks(json.loads(data).__repr__(), SECRET) == []

    for run in ("1", "2"):
        assert main(["logs", run]) == 0
        logged = capsys.readouterr().out
        assert "Deploy with ***" in logged and "deploying now" in logged
        assert leaks(logged, SECRET) == []
    assert main(["logs", "1", "deploy", "--step", "Tag *** for release"]) == 0
    assert "tagging" in capsys.readouterr().out

    assert sqlite_leaks(state / "conveyor.db", SECRET) == []
    assert state_leaks(state, SECRET) == []
