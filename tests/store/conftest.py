"""Fixtures for the store tests: real SQLite files in tmp_path and a real PostgreSQL.

PostgreSQL: ``$CONVEYOR_TEST_POSTGRES_URL`` (a server where the user may CREATE DATABASE),
else postgres@127.0.0.1:5432 (started with pg_ctlcluster if it is down). One database
per test session, dropped afterwards; each test starts from an empty schema.
"""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from conveyor.agent.address import NO_AGENT_ENV as NO_AGENT
from conveyor.store import SqlRunStore
from conveyor.store.paths import database_url

PG_ENV = "CONVEYOR_TEST_POSTGRES_URL"
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"


def _connect_error(url: str) -> str | None:
    engine = create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:
        return str(exc).splitlines()[0]
    finally:
        engine.dispose()
    return None


def _start_local_cluster() -> None:
    versions = Path("/etc/postgresql")
    if not versions.is_dir():
        return
    for version in sorted(p.name for p in versions.iterdir()):
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"],
            check=False,
            capture_output=True,
            timeout=60,
        )


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    configured = os.environ.get(PG_ENV, "").strip()
    url = database_url(Path("."), configured or DEFAULT_PG)
    error = _connect_error(url)
    if error and not configured:
        try:
            _start_local_cluster()
        except (OSError, subprocess.SubprocessError) as exc:
            error = f"{error}; pg_ctlcluster failed: {exc}"
        for _ in range(20):
            if _connect_error(url) is None:
                error = None
                break
            time.sleep(0.5)
    if error:
        pytest.skip(
            f"PostgreSQL tests SKIPPED: cannot connect to {url} ({error}). To run them, set "
            f"{PG_ENV}=postgresql://USER@HOST:PORT/DB (the user must be allowed to CREATE "
            "DATABASE) or start the local server (pg_ctlcluster <version> main start)."
        )
    return url


@pytest.fixture(scope="session")
def postgres_url(postgres_admin_url: str) -> Iterator[str]:
    """A fresh database for this test session, dropped at the end."""
    name = f"conveyor_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(postgres_admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _reset_schema(url: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest) -> str | None:
    """None (SQLite in the state directory) or an empty PostgreSQL database."""
    if request.param == "sqlite":
        return None
    url: str = request.getfixturevalue("postgres_url")
    _reset_schema(url)
    return url


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    return tmp_path / ".conveyor"


@pytest.fixture
def make_store(state_dir: Path, db_url: str | None) -> Iterator[Callable[..., SqlRunStore]]:
    """Opens stores on the test's backend; closes them at the end of the test."""
    opened: list[SqlRunStore] = []

    def make(**kwargs: Any) -> SqlRunStore:
        kwargs.setdefault("url", db_url)
        store = SqlRunStore(kwargs.pop("state_dir", state_dir), **kwargs)
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()


@pytest.fixture
def child_env(db_url: str | None) -> dict[str, str]:
    """Environment for child processes: same backend, no inherited overrides."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONVEYOR_") or k == NO_AGENT}
    if db_url:
        env["CONVEYOR_DATABASE_URL"] = db_url
    return env


TEST_REPOSITORY = "github.com/acme/widgets"  # store_events.REPOSITORY_KEY


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No inherited database or state directory; CLI listings scoped to the repository the
    tests' runs are recorded under (store_events.new_run)."""
    monkeypatch.delenv("CONVEYOR_DATABASE_URL", raising=False)
    monkeypatch.delenv("CONVEYOR_HOME", raising=False)
    monkeypatch.setenv("CONVEYOR_REPOSITORY", TEST_REPOSITORY)
