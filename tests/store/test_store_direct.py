"""The run recorder writes through the database's driver (conveyor.store.dbapi): a run
records without importing SQLAlchemy, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from conveyor.agent.address import NO_AGENT_ENV as NO_AGENT
from conveyor.errors import DatabaseError
from conveyor.store import SqlRunStore
from conveyor.store.dbapi import DirectDatabase
from conveyor.store.paths import database_url
from e2e.e2e_helpers import make_repo

WORKFLOW = """\
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - name: Say hello
        run: echo hello from the step
"""


def test_a_one_step_run_records_without_importing_sqlalchemy(tmp_path: Path) -> None:
    """What keeps a one-step run's memory low (issue 9): neither SQLAlchemy nor Alembic is
    imported, and the run, its job, its step and its log line are all recorded."""
    root = make_repo(tmp_path / "repo", {"ci.yml": WORKFLOW})
    state = tmp_path / "state"
    SqlRunStore(state).close()  # created and migrated: that needs SQLAlchemy and Alembic
    probe = (
        "import sys\n"
        "from conveyor.cli.main import main\n"
        f"code = main(['run', '-W', '.github/workflows/ci.yml', '--event', 'push', "
        f"'--state-dir', {str(state)!r}])\n"
        "loaded = sorted({m.split('.')[0] for m in sys.modules} & {'sqlalchemy', 'alembic'})\n"
        "print('exit', code, 'loaded', loaded)\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONVEYOR_") or k == NO_AGENT}
    env[NO_AGENT] = "1"
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=root,
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )
    assert done.stdout.strip().splitlines()[-1] == "exit 0 loaded []", done.stdout + done.stderr
    with sqlite3.connect(state / "conveyor.db") as db:
        runs = db.execute("SELECT status, conclusion, run_number FROM runs").fetchall()
        steps = db.execute("SELECT name, status, conclusion, exit_code FROM steps").fetchall()
        jobs = db.execute("SELECT job_key, status, conclusion, duration FROM jobs").fetchall()
        lines = [row[0] for row in db.execute("SELECT text FROM log_lines ORDER BY seq")]
    assert runs == [("completed", "success", 1)]
    assert [job[:3] for job in jobs] == [("build", "completed", "success")]
    assert jobs[0][3] is not None and jobs[0][3] >= 0
    assert ("Say hello", "completed", "success", 0) in steps
    assert "hello from the step" in lines


def test_a_postgresql_connection_the_server_closed_is_opened_again(
    tmp_path: Path, postgres_url: str
) -> None:
    """As the engines' pre-ping does: a server restart or an idle timeout between two
    events does not fail the run."""
    url = database_url(tmp_path, postgres_url)
    database = DirectDatabase(url, None)
    try:
        with database.transaction(write=False) as sql:
            pid = sql.scalar("SELECT pg_backend_pid()")
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as connection:
                connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        finally:
            admin.dispose()
        with database.transaction(write=False) as sql:
            assert sql.scalar("SELECT pg_backend_pid()") != pid
    finally:
        database.close()


def test_a_database_that_fails_mid_transaction_is_one_line(tmp_path: Path) -> None:
    """A failure of the database itself is a DatabaseError naming the database; nothing
    of the transaction is kept."""
    state = tmp_path / "state"
    SqlRunStore(state).close()
    database = DirectDatabase(database_url(state), state)
    try:
        failed = pytest.raises(DatabaseError, match=r"history database sqlite:///.*conveyor\.db")
        with failed, database.transaction() as sql:
            sql.execute(
                "INSERT INTO repositories (key, name, url, created_at) VALUES ('k', 'n', NULL, 0)"
            )
            sql.execute("SELECT * FROM no_such_table_here")
        with database.transaction(write=False) as sql:
            assert sql.scalar("SELECT COUNT(*) FROM repositories WHERE key = 'k'") == 0
    finally:
        database.close()
