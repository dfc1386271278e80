"""State directory, database URL and log file names."""

from __future__ import annotations

from pathlib import Path

import pytest

from conveyor.store.paths import database_url, default_state_dir, sanitize, step_log_name


def test_state_dir_is_at_the_git_root(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    nested = tmp_path / "src" / "pkg"
    nested.mkdir(parents=True)
    assert default_state_dir(nested) == tmp_path.resolve() / ".conveyor"


def test_state_dir_outside_git_is_under_start(tmp_path: Path) -> None:
    assert default_state_dir(tmp_path) == tmp_path.resolve() / ".conveyor"


def test_conveyor_home_overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONVEYOR_HOME", str(tmp_path / "home"))
    assert default_state_dir(tmp_path) == tmp_path / "home"


def test_database_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert database_url(tmp_path) == f"sqlite:///{tmp_path.resolve()}/conveyor.db"
    monkeypatch.setenv("CONVEYOR_DATABASE_URL", "postgresql://u@h/db")
    assert database_url(tmp_path) == "postgresql+psycopg://u@h/db"
    assert database_url(tmp_path, "sqlite:///x.db") == "sqlite:///x.db"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("build", "build"),
        ("test (3.12, ubuntu-latest)", "test_3.12_ubuntu-latest"),
        ("caller/callee", "caller_callee"),
        ("../../etc", "etc"),
        ("...", "_"),
        ("", "_"),
    ],
)
def test_sanitize(name: str, expected: str) -> None:
    assert sanitize(name) == expected


def test_step_log_name() -> None:
    assert step_log_name(3, "Run tests!") == "3-Run_tests.log"
    assert step_log_name(0, "") == "0-step.log"
