"""Real pytest projects in a temp dir, and running `conveyor` in-process against them."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from conveyor.cli.main import main

PYTEST_INI = """\
[pytest]
markers =
    unit: unit tests
    mocked: mocked tests
    integration: integration tests
    smoke: smoke tests
    e2e: end-to-end tests
"""

GREEN = """\
import pytest

@pytest.mark.unit
def test_one():
    assert 1 + 1 == 2

@pytest.mark.unit
def test_two():
    assert "a".upper() == "A"

@pytest.mark.unit
@pytest.mark.skip(reason="not today")
def test_skipped():
    pass
"""

FAILING = """\
import pytest

@pytest.mark.integration
def test_db_connection():
    raise ConnectionRefusedError("[Errno 111] Connection refused")

@pytest.mark.integration
def test_rows():
    assert [1, 2] == [1, 2, 3], "rows <b>missing</b>"

@pytest.mark.integration
def test_fine():
    pass
"""

FLAKY = """\
import pathlib
import pytest

COUNTER = pathlib.Path(__file__).with_name("flaky_counter.txt")

@pytest.mark.smoke
def test_sometimes():
    runs = int(COUNTER.read_text()) if COUNTER.exists() else 0
    COUNTER.write_text(str(runs + 1))
    assert runs >= 1, "first call fails"

@pytest.mark.smoke
def test_always_ok():
    pass
"""


@dataclass
class Project:
    root: Path
    state: Path

    def write(self, rel: str, text: str) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    def conveyor(self, *args: str) -> int:
        return main([*args])


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    root = tmp_path / "proj"
    root.mkdir()
    (root / ".git").mkdir()  # the git root: the state dir and config search stop here
    state = tmp_path / "state"
    monkeypatch.chdir(root)
    monkeypatch.setenv("CONVEYOR_HOME", str(state))
    for name in ("CONVEYOR_RUN_ID", "GITHUB_RUN_ID", "GITHUB_STEP_SUMMARY", "GITHUB_SHA"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("CONVEYOR_DATABASE_URL", raising=False)
    proj = Project(root, state)
    proj.write("pytest.ini", PYTEST_INI)
    return proj
