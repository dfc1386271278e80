"""Fixtures for the server tests: a real remote repository, a registered repository and a
real ``conveyor serve`` process; PostgreSQL from the store tests' fixtures."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from server_helpers import SECRET_ENV, TOKEN_ENV, Server, conveyor, make_remote, run_server

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


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CONVEYOR_DATABASE_URL", raising=False)
    monkeypatch.delenv("CONVEYOR_HOME", raising=False)
    monkeypatch.delenv("CONVEYOR_EXECUTOR", raising=False)


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    return make_remote(tmp_path / "remote")


@pytest.fixture
def state(tmp_path: Path) -> Path:
    path = tmp_path / "state"
    path.mkdir()
    return path


@pytest.fixture
def registered(remote: Path, state: Path) -> Path:
    """``remote`` registered as o/demo with a webhook secret and a token."""
    conveyor(
        "repos", "add", "o/demo", "--url", str(remote),
        "--webhook-secret-env", SECRET_ENV, "--token-env", TOKEN_ENV,
        "--state-dir", str(state),
    )  # fmt: skip
    return remote


@pytest.fixture
def server(registered: Path, state: Path) -> Iterator[Server]:
    with run_server(state) as running:
        yield running
