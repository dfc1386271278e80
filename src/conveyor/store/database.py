"""Engine setup and automatic migrations.

SQLite: WAL journal, a busy timeout and ``BEGIN IMMEDIATE`` for write transactions, so
several ``conveyor`` processes can write one database without "database is locked".
Migrations (``alembic upgrade head``) run on open under a file lock in the state
directory and, on PostgreSQL, an advisory lock too, so concurrent processes don't race.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import NoSuchModuleError

from conveyor.errors import ConfigError
from conveyor.store.paths import database_url, ensure_state_dir, resolve_state_dir

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
BUSY_TIMEOUT_SECONDS = 60.0
WRITE_OPTION = "conveyor_write"  # execution option: begin the transaction as a writer
_PG_MIGRATION_LOCK = 0x636F6E76  # "conv": pg_advisory_lock key for migrations


def create_db_engine(url: str) -> Engine:
    """An engine for ``url`` with conveyor's connection settings."""
    try:
        parsed = make_url(url)
    except Exception as exc:
        raise ConfigError(f"invalid database URL {url!r}: {exc}") from exc
    try:
        if parsed.get_backend_name() == "sqlite":
            return _sqlite_engine(url)
        return create_engine(url, pool_pre_ping=True)
    except (NoSuchModuleError, ImportError) as exc:
        hint = " (install conveyor[postgres])" if "postgres" in url else ""
        raise ConfigError(f"no database driver for {parsed.drivername!r}{hint}: {exc}") from exc


def _sqlite_engine(url: str) -> Engine:
    engine = create_engine(
        url, connect_args={"timeout": BUSY_TIMEOUT_SECONDS, "check_same_thread": False}
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event (below) issue BEGIN itself (pysqlite's own
        # transaction handling would defer it and cannot take the write lock up front).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_SECONDS * 1000)}")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        writer = connection.get_execution_options().get(WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writer else "BEGIN")

    return engine


def _alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def _known_revision(revision: str) -> bool:
    try:
        return ScriptDirectory.from_config(_alembic_config()).get_revision(revision) is not None
    except CommandError:
        return False


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def migrate(engine: Engine, lock_dir: Path | None) -> None:
    """Bring the schema to the newest revision (no-op when it already is)."""
    head = head_revision()
    current = current_revision(engine)
    if current == head:
        return
    if current is not None and not _known_revision(current):
        raise ConfigError(
            f"the history database {engine.url.render_as_string()} has schema revision "
            f"{current!r}, newer than this conveyor knows; upgrade conveyor or point "
            "CONVEYOR_DATABASE_URL (or --state-dir) elsewhere"
        )
    with _file_lock(lock_dir), engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
            connection.commit()
        try:
            if MigrationContext.configure(connection).get_current_revision() != head:
                config = _alembic_config()
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
                if connection.in_transaction():
                    connection.commit()
        finally:
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _PG_MIGRATION_LOCK})
                connection.commit()


class StateDatabase:
    """The history database of ``state_dir`` (default: :func:`default_state_dir`), or the
    one at ``url`` (else ``$CONVEYOR_DATABASE_URL``), migrated to the newest schema on open.

    ``engine`` reads; ``writer`` (the same pool) begins write transactions."""

    def __init__(
        self, state_dir: str | os.PathLike[str] | None = None, url: str | None = None
    ) -> None:
        self.state_dir = resolve_state_dir(state_dir)
        ensure_state_dir(self.state_dir)
        self.url = database_url(self.state_dir, url)
        self.engine: Engine = create_db_engine(self.url)
        migrate(self.engine, self.state_dir)
        self.writer: Engine = self.engine.execution_options(**{WRITE_OPTION: True})

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


@contextlib.contextmanager
def _file_lock(directory: Path | None) -> Iterator[None]:
    if directory is None:
        yield
        return
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / "migrate.lock").open("a+b") as handle:
        _lock(handle)
        try:
            yield
        finally:
            _unlock(handle)


def _lock(handle: IO[bytes]) -> None:
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        import msvcrt

        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_LOCK, 1)
    else:
        import fcntl

        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)


def _unlock(handle: IO[bytes]) -> None:
    if sys.platform == "win32":  # pragma: no cover
        import msvcrt

        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
    else:
        import fcntl

        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
