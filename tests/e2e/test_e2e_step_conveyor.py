"""A step that runs ``conveyor ingest`` or ``conveyor test`` itself (through the
``bin/conveyor`` shim the run puts on PATH) stores nothing raw (issue 10 #3's gap).

That child conveyor is another process: the run hands the step ``CONVEYOR_MASK``, the
secrets that already appear in the step's environment, and the child masks what it stores
with them. Under whichever executor the suite runs (``make check`` runs tests/e2e again
with ``CONVEYOR_EXECUTOR=process``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from e2e_helpers import leaks, make_repo, sqlite_leaks, state_leaks

from conveyor.cli.main import main

SECRET = "Zq7/Tok+en=42&x é9kWv"

WORKFLOW = """
on: push
jobs:
  tests:
    runs-on: ubuntu-latest
    env:
      TOKEN: ${{ secrets.TOKEN }}
    steps:
      - uses: actions/checkout@v4
      - name: Own ingest
        run: |
          python3 make_junit.py > junit.xml
          conveyor ingest junit.xml --run "$GITHUB_RUN_ID" --tier ingested
      - name: Own test run
        run: conveyor test --tier unit
      - name: What the step could read
        if: always()
        run: echo "mask variable $CONVEYOR_MASK"
"""

MAKE_JUNIT = """\
import base64, json, os, urllib.parse
from xml.sax.saxutils import quoteattr, escape

token = os.environ["TOKEN"]
b64 = base64.b64encode(("user:" + token).encode()).decode()
message = f"login with {token} failed; basic {b64}; q={urllib.parse.quote(token, safe='')}"
print('<testsuite name="s"><testcase classname="t" name="test_login">'
      f'<failure message={quoteattr(message)}>{escape(json.dumps(token))}</failure>'
      '</testcase></testsuite>')
"""

TEST_FILE = """\
import base64, os
import pytest

@pytest.mark.unit
def test_api():
    token = os.environ["TOKEN"]
    assert False, f"api refused {token} ({base64.b64encode(token.encode()).decode()})"
"""


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    for name in ("CONVEYOR_HOME", "CONVEYOR_DATABASE_URL", "CONVEYOR_ACTIONS_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("CONVEYOR_MASK", raising=False)


def test_a_steps_own_conveyor_ingest_and_test_store_masked_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make_repo(
        tmp_path / "r",
        {
            "ci.yml": WORKFLOW,
            "make_junit.py": MAKE_JUNIT,
            "tests/test_api.py": TEST_FILE,
            "pytest.ini": "[pytest]\nmarkers =\n    unit: unit tests\n",
            "conveyor.toml": '[tiers.unit]\nmarker = "unit"\n',
        },
    )
    monkeypatch.chdir(repo)
    state = repo / ".conveyor"

    assert main(["run", "--secret", f"TOKEN={SECRET}"]) == 1  # the unit tier fails
    console = capsys.readouterr().out
    assert "ingested 1 results" in console and "test_api" in console
    assert "mask variable ***" in console  # CONVEYOR_MASK reached the step, masked
    assert leaks(console, SECRET) == []

    # the rows both child conveyors stored: there, and masked
    assert main(["report", "1", "--format", "json"]) == 0
    report = capsys.readouterr().out
    failures = {f["test_id"]: f for f in json.loads(report)["failures"]}
    assert set(failures) == {"t::test_login", "tests/test_api.py::test_api"}, report
    assert "login with *** failed" in failures["t::test_login"]["error"]
    assert "api refused ***" in failures["tests/test_api.py::test_api"]["error"]
    assert leaks(report, SECRET) == []
    for fmt in ("md", "html"):
        assert main(["report", "1", "--format", fmt]) == 0
        assert leaks(capsys.readouterr().out, SECRET) == []

    assert sqlite_leaks(state / "conveyor.db", SECRET) == []
    kept = sorted(p.name for p in (state / "results").rglob("*") if p.is_file())
    assert any(name.startswith("ingest") for name in kept) and "unit.xml" in kept, kept
    assert state_leaks(state, SECRET) == []
