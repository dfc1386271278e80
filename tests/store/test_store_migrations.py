"""Schema creation through Alembic, from an empty database."""

from __future__ import annotations

import importlib
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

import conveyor
from conveyor.agent.address import NO_AGENT_ENV as NO_AGENT
from conveyor.errors import ConfigError
from conveyor.results.db import ResultsDb
from conveyor.store import SqlRunStore
from conveyor.store.database import current_revision, head_revision, open_count
from conveyor.store.models import Base
from conveyor.store.paths import database_url
from conveyor.store.schedule import FiringStore

TABLES = {
    "alembic_version",
    "repositories",
    "workflow_counters",
    "runs",
    "jobs",
    "steps",
    "annotations",
    "schedule_firings",
    "test_ingests",
    "test_results",
    "test_quarantine",
}


def test_opening_an_empty_database_migrates_to_head(
    make_store: Callable[..., SqlRunStore], state_dir: Path, db_url: str | None
) -> None:
    store = make_store()
    engine = create_engine(database_url(state_dir, db_url))
    try:
        assert set(inspect(engine).get_table_names()) >= TABLES
        assert current_revision(engine) == head_revision() is not None
    finally:
        engine.dispose()
    assert store.list_runs() == []


def _import_every_model_module() -> None:
    """Tables of other features live beside their code; every model imports our Base."""
    root = Path(conveyor.__file__).resolve().parent
    for path in sorted(root.rglob("*.py")):
        if "migrations" in path.parts or "conveyor.store.models" not in path.read_text():
            continue
        parts = path.relative_to(root.parent).with_suffix("").parts
        importlib.import_module(".".join(p for p in parts if p != "__init__"))


def test_models_match_the_migrations(
    make_store: Callable[..., SqlRunStore], state_dir: Path, db_url: str | None
) -> None:
    _import_every_model_module()
    make_store()
    engine = create_engine(database_url(state_dir, db_url))
    try:
        with engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    finally:
        engine.dispose()
    assert diff == [], "models.py and migrations/versions disagree; add a revision"


def test_reopening_keeps_data_and_revision(
    make_store: Callable[..., SqlRunStore], db_url: str | None
) -> None:
    from store_events import new_run

    first = make_store()
    run_id, _ = first.begin_run(new_run())
    first.close()
    again = make_store()
    assert [run.id for run in again.list_runs()] == [run_id]


def test_sqlite_database_is_in_the_state_dir_in_wal_mode(tmp_path: Path) -> None:
    state = tmp_path / "state"
    with SqlRunStore(state):
        pass
    db = state / "conveyor.db"
    assert db.is_file()
    connection = sqlite3.connect(db)
    try:
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    finally:
        connection.close()


def test_database_from_a_newer_conveyor_is_refused(
    make_store: Callable[..., SqlRunStore], state_dir: Path, db_url: str | None
) -> None:
    make_store().close()
    engine = create_engine(database_url(state_dir, db_url))
    try:
        with engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = 'f00d'"))
    finally:
        engine.dispose()
    with pytest.raises(ConfigError, match="newer than this conveyor knows"):
        make_store()


def test_recorder_results_and_schedule_share_one_engine(
    state_dir: Path, db_url: str | None
) -> None:
    url = database_url(state_dir, db_url)
    with (
        SqlRunStore(state_dir, url=db_url, recover=False) as store,
        ResultsDb(state_dir, db_url) as results,
        FiringStore(state_dir, db_url) as firings,
    ):
        assert store.engine is results.engine is firings.engine
        assert open_count(url) == 3
        assert store.repository_id("github.com/o/r") == results.repository_id("github.com/o/r")
    assert open_count(url) == 0  # the last one out disposed the engine


def test_commands_on_a_current_database_do_not_import_alembic(tmp_path: Path) -> None:
    state = tmp_path / "state"
    SqlRunStore(state).close()  # created and migrated
    probe = (
        "import sys\n"
        "from conveyor.cli.main import main\n"
        f"code = main(['runs', '--all', '--state-dir', {str(state)!r}])\n"
        "print('exit', code, 'alembic' in sys.modules)\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONVEYOR_") or k == NO_AGENT}
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=False
    )
    assert done.stdout.strip().splitlines()[-1] == "exit 0 False", done.stdout + done.stderr
