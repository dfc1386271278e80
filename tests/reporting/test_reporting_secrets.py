"""A secret in a test's failure message, run by ``conveyor/test@v1`` in a workflow with
secrets, is masked in everything stored and sent: the ``test_results`` rows, the JUnit
files kept under results/, report.md, ``conveyor report`` (md, html, json) and the
webhook body of ``conveyor notify``; also in its base64, URL and JSON forms."""

from __future__ import annotations

import base64
import json
import sqlite3
import textwrap
from pathlib import Path
from urllib.parse import quote

import pytest
from reporting_helpers import Receiver

from conveyor.cli.main import main
from conveyor.store.results_models import RESULTS

SECRET = "s3cr3t/Tok+en=42&x"

TEST_FILE = """\
import base64, json, os, urllib.parse
import pytest

@pytest.mark.unit
def test_login():
    token = os.environ["TOKEN"]
    b64 = base64.b64encode(("user:" + token).encode()).decode()
    url = urllib.parse.quote(token, safe="")
    assert False, f"login with {token} failed; basic {b64}; q={url}; {json.dumps(token)}"

@pytest.mark.unit
@pytest.mark.parametrize("value", [os.environ.get("TOKEN", "none")])
def test_param(value):
    print("value is", value)
"""

WORKFLOW = """\
on: push
jobs:
  tests:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: conveyor/test@v1
        with:
          tier: unit
        env:
          TOKEN: ${{ secrets.TOKEN }}
"""


def _forms(secret: str) -> list[str]:
    full = base64.b64encode(("user:" + secret).encode()).decode()
    return [secret, quote(secret, safe=""), json.dumps(secret)[1:-1], full[8:-4]]


def _hits(text: str) -> list[str]:
    return [form for form in _forms(SECRET) if form in text]


def _git(repo: Path, *args: str) -> None:
    import subprocess

    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


def test_secret_in_test_results_is_masked_everywhere(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    receiver: Receiver,
) -> None:
    for name in (
        "CONVEYOR_HOME",
        "CONVEYOR_DATABASE_URL",
        "CONVEYOR_REPOSITORY",
        "GITHUB_STEP_SUMMARY",
    ):
        monkeypatch.delenv(name, raising=False)
    repo = tmp_path / "repo"
    files = {
        ".github/workflows/ci.yml": WORKFLOW,
        "tests/test_login.py": TEST_FILE,
        "pytest.ini": "[pytest]\nmarkers =\n    unit: unit tests\n",
        "conveyor.toml": f'[notify.webhook]\nurl = "{receiver.url}"\n',
    }
    for rel, text in files.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(textwrap.dedent(text))
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", ".")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", "i")
    monkeypatch.chdir(repo)
    state = repo / ".conveyor"

    assert main(["run", "--secret", f"TOKEN={SECRET}"]) == 1
    console = capsys.readouterr().out
    assert "test_login" in console and not _hits(console)

    with sqlite3.connect(state / "conveyor.db") as db:
        rows = db.execute(f"select * from {RESULTS.name}").fetchall()
        assert len(rows) == 2
        stored = "\n".join(repr(r) for r in rows)
        assert "***" in stored and "failed" in stored
        assert not _hits(stored)
        everything = "\n".join(
            repr(r)
            for (table,) in db.execute("select name from sqlite_master where type='table'")
            for r in db.execute(f"select * from {table}")
        )
        assert not _hits(everything)

    kept = sorted((state / "results").rglob("*.xml"))
    assert {p.name for p in kept} >= {"unit.xml", "unit.pytest.xml"}
    report_md = next((state / "results").rglob("report.md"))
    for path in [*kept, report_md]:
        text = path.read_text()
        assert "test_login" in text, path
        assert not _hits(text), (path, _hits(text))

    for fmt in ("md", "html", "json"):
        assert main(["report", "latest", "--format", fmt]) == 0
        out = capsys.readouterr().out
        assert "test_login" in out and "***" in out, fmt
        assert not _hits(out), fmt

    assert main(["notify", "latest", "--channel", "webhook"]) == 0
    assert len(receiver.bodies) == 1
    body = json.dumps(receiver.bodies[0])
    assert "test_login" in body and not _hits(body)
    assert not _hits(json.dumps(receiver.bodies[0], ensure_ascii=False))

    leftovers = [
        str(p)
        for p in state.rglob("*")
        if p.is_file()
        and "work" not in p.relative_to(state).parts[:1]
        and _hits(p.read_text(errors="replace"))
    ]
    assert leftovers == []
