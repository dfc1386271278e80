"""Fixtures for the delivery tests: the store tests' SQLite/PostgreSQL fixtures, reused,
and a project (conveyor.toml, workspace, state directory, a recorded run) to run the
delivery actions in."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from delivery_helpers import Project, make_project

_STORE_CONFTEST = Path(__file__).resolve().parents[1] / "store" / "conftest.py"
if "_store_fixtures" in sys.modules:
    _store = sys.modules["_store_fixtures"]
else:
    _spec = importlib.util.spec_from_file_location("_store_fixtures", _STORE_CONFTEST)
    assert _spec is not None and _spec.loader is not None
    _store = importlib.util.module_from_spec(_spec)
    sys.modules["_store_fixtures"] = _store
    _spec.loader.exec_module(_store)

postgres_admin_url = _store.postgres_admin_url
postgres_url = _store.postgres_url
db_url = _store.db_url
_isolated_env = _store._isolated_env


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Project]:
    """A project on SQLite."""
    with make_project(tmp_path, monkeypatch) as made:
        yield made


@pytest.fixture
def any_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, db_url: str | None
) -> Iterator[Project]:
    """A project on SQLite, then on PostgreSQL."""
    with make_project(tmp_path, monkeypatch, db_url) as made:
        yield made


@pytest.fixture
def app_database(postgres_url: str) -> str:
    """An empty PostgreSQL database for the project's own schema (not conveyor's)."""
    _store._reset_schema(postgres_url)
    return postgres_url
