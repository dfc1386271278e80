"""Fixtures for the results tests: the store tests' SQLite/PostgreSQL fixtures, reused."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from conveyor.results.db import ResultsDb

_STORE_CONFTEST = Path(__file__).resolve().parents[1] / "store" / "conftest.py"
_spec = importlib.util.spec_from_file_location("_store_fixtures", _STORE_CONFTEST)
assert _spec is not None and _spec.loader is not None
_store = importlib.util.module_from_spec(_spec)
sys.modules["_store_fixtures"] = _store
_spec.loader.exec_module(_store)

postgres_admin_url = _store.postgres_admin_url
postgres_url = _store.postgres_url
db_url = _store.db_url
state_dir = _store.state_dir
_isolated_env = _store._isolated_env


@pytest.fixture
def make_db(state_dir: Path, db_url: str | None) -> Iterator[Callable[[], ResultsDb]]:
    opened: list[ResultsDb] = []

    def make() -> ResultsDb:
        db = ResultsDb(state_dir, db_url)
        opened.append(db)
        return db

    yield make
    for db in opened:
        db.close()


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, db_url: str | None) -> None:
    """CLI commands in-process use the test's backend."""
    if db_url:
        monkeypatch.setenv("CONVEYOR_DATABASE_URL", db_url)
