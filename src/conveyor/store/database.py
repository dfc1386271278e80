"""The history database: one shared engine per URL and process, schema checks, migrations.

* Every opener (:class:`StateDatabase` and its subclasses: the run recorder, the results
  and the schedule stores) shares one engine per database URL within a process, counted:
  the first opener checks the schema, the last one to close disposes the engine.
* Opening reads ``alembic_version`` with plain SQL and compares it with
  :data:`~conveyor.store.revisions.HEAD_REVISION`; Alembic is imported only to migrate.
  SQLite and an empty PostgreSQL database are migrated on first use; a PostgreSQL
  database at an older revision is not (``conveyor db upgrade`` does that, for servers).
* SQLite: WAL journal, a busy timeout and ``BEGIN IMMEDIATE`` for write transactions, so
  several ``conveyor`` processes can write one database without "database is locked".
  Migrations run under a file lock in the state directory and, on PostgreSQL, an
  advisory lock too, so concurrent processes don't race.
* Failures of the database itself become one-line :class:`~conveyor.errors.DatabaseError`
  (see :mod:`conveyor.store.dberrors`).
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any, Self

from conveyor.errors import ConfigError, DatabaseError
from conveyor.store.dbapi import (
    BUSY_TIMEOUT_SECONDS,
    CONNECT_TIMEOUT_SECONDS,
    SQLITE_PRAGMAS,
    Statements,
)
from conveyor.store.dberrors import hide_password, invalid_url, translate
from conveyor.store.paths import database_url, ensure_state_dir, resolve_state_dir
from conveyor.store.revisions import HEAD_REVISION, REVISIONS

if TYPE_CHECKING:  # SQLAlchemy is imported by what uses it: a run records without it
    from sqlalchemy import Connection, Engine
    from sqlalchemy.orm import Session

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
WRITE_OPTION = "conveyor_write"  # execution option: begin the transaction as a writer
_PG_MIGRATION_LOCK = 0x636F6E76  # "conv": pg_advisory_lock key for migrations


def create_db_engine(url: str) -> Engine:
    """An engine for ``url`` with conveyor's connection settings and error translation."""
    from sqlalchemy import create_engine, event
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        raise invalid_url(url) from None
    try:
        backend = parsed.get_backend_name()
        if backend == "sqlite":
            engine = _sqlite_engine(url)
        elif backend == "postgresql":
            engine = create_engine(
                parsed,
                pool_pre_ping=True,
                connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS},
            )
        else:
            engine = create_engine(parsed, pool_pre_ping=True)
    except (NoSuchModuleError, ImportError) as exc:
        hint = " (install conveyor[postgres])" if "postgres" in parsed.drivername else ""
        raise ConfigError(
            f"no database driver for {parsed.drivername!r}{hint}: {hide_password(url)}"
        ) from exc
    except (ArgumentError, ValueError, TypeError):
        raise invalid_url(url) from None

    @event.listens_for(engine, "handle_error")
    def _translate(context: Any) -> None:
        translate(context, url)

    return engine


def _sqlite_engine(url: str) -> Engine:
    from sqlalchemy import create_engine, event

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
            for pragma in SQLITE_PRAGMAS:
                cursor.execute(pragma)
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        writer = connection.get_execution_options().get(WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writer else "BEGIN")

    return engine


# ---------------------------------------------------------------- schema revision


def current_revision(engine: Engine) -> str | None:
    """The database's schema revision (None: no conveyor schema yet), by plain SQL."""
    from sqlalchemy import inspect, text

    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        found = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        return None if found is None else str(found)


def head_revision() -> str:
    return HEAD_REVISION


def _shown(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def _newer_error(engine: Engine, revision: str) -> ConfigError:
    return ConfigError(
        f"the history database {_shown(engine)} has schema revision {revision!r}, newer "
        "than this conveyor knows; upgrade conveyor or point CONVEYOR_DATABASE_URL "
        "(or --state-dir) elsewhere"
    )


def check_schema(engine: Engine, lock_dir: Path | None) -> None:
    """Make sure the schema is the newest: migrate SQLite and empty databases, refuse a
    PostgreSQL database at an older revision (``conveyor db upgrade``) or a newer one."""
    current = current_revision(engine)
    if current == HEAD_REVISION:
        return
    if current is not None and current not in REVISIONS:
        raise _newer_error(engine, current)
    if current is not None and engine.dialect.name != "sqlite":
        raise DatabaseError(
            f"the history database {_shown(engine)} has schema revision {current}, older "
            f"than this conveyor's {HEAD_REVISION}: run `conveyor db upgrade` (back it up "
            "first; every conveyor using it must be this version afterwards)"
        )
    migrate(engine, lock_dir)


def migrate(engine: Engine, lock_dir: Path | None) -> tuple[str | None, str]:
    """Bring the schema to the newest revision; returns (revision before, revision after)."""
    before = current_revision(engine)
    if before == HEAD_REVISION:
        return before, HEAD_REVISION
    if before is not None and before not in REVISIONS:
        raise _newer_error(engine, before)
    from alembic import command  # only here: commands that don't migrate start faster
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import text

    with _file_lock(lock_dir), engine.connect() as connection:
        postgresql = connection.dialect.name == "postgresql"
        sqlite = connection.dialect.name == "sqlite"
        if postgresql:
            connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
            connection.commit()
        if sqlite:  # table rebuilds must not cascade deletes into child tables
            _sqlite_pragma(connection, "PRAGMA foreign_keys=OFF")
        try:
            before = MigrationContext.configure(connection).get_current_revision()
            if before != HEAD_REVISION:
                config = Config()
                config.set_main_option("script_location", str(MIGRATIONS_DIR))
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
                if connection.in_transaction():
                    connection.commit()
            if sqlite:
                _check_sqlite_foreign_keys(connection)
        finally:
            if sqlite:
                _sqlite_pragma(connection, "PRAGMA foreign_keys=ON")
            if postgresql:
                connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _PG_MIGRATION_LOCK})
                connection.commit()
    return before, HEAD_REVISION


def _sqlite_pragma(connection: Connection, pragma: str) -> None:
    """Run a PRAGMA outside any transaction (foreign_keys is ignored inside one)."""
    if connection.in_transaction():
        connection.commit()
    raw = connection.connection.dbapi_connection
    assert raw is not None
    raw.execute(pragma)


def _check_sqlite_foreign_keys(connection: Connection) -> None:
    problems = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    connection.commit()
    if problems:
        table, rowid, parent, _ = problems[0]
        raise DatabaseError(
            f"the history database migrated with {len(problems)} broken reference(s), e.g. "
            f"{table} row {rowid} -> {parent}; restore a backup and report this bug"
        )


# ---------------------------------------------------------------- shared engines


@dataclass(slots=True)
class _Shared:
    engine: Engine
    writer: Engine
    refs: int = 0
    repository_ids: dict[str, int] = field(default_factory=dict)


_SHARED: dict[str, _Shared] = {}
_SHARED_LOCK = threading.Lock()


def _acquire(url: str, state_dir: Path) -> _Shared:
    with _SHARED_LOCK:
        shared = _SHARED.get(url)
        if shared is None:
            engine = create_db_engine(url)
            try:
                check_schema(engine, state_dir)
            except BaseException:
                engine.dispose()
                raise
            writer = engine.execution_options(**{WRITE_OPTION: True})
            shared = _SHARED[url] = _Shared(engine, writer)
        shared.refs += 1
        return shared


def _release(url: str, shared: _Shared) -> None:
    with _SHARED_LOCK:
        shared.refs -= 1
        if shared.refs <= 0 and _SHARED.get(url) is shared:
            del _SHARED[url]
            shared.engine.dispose()


def open_count(url: str) -> int:
    """How many openers share the engine of ``url`` in this process (0: none open)."""
    with _SHARED_LOCK:
        shared = _SHARED.get(url)
        return 0 if shared is None else shared.refs


class StateDatabase:
    """The history database of ``state_dir`` (default: :func:`default_state_dir`), or the
    one at ``url`` (else ``$CONVEYOR_DATABASE_URL``), at the newest schema.

    ``engine`` reads; ``writer`` (the same pool) begins write transactions. Openers of one
    URL share the engine within the process; :meth:`close` releases this opener's share.
    With ``connect=False`` the engine is taken when first used (the run recorder writes
    through the driver, :mod:`conveyor.store.dbapi`, and reads with it only on request).
    """

    def __init__(
        self,
        state_dir: str | os.PathLike[str] | None = None,
        url: str | None = None,
        *,
        connect: bool = True,
    ) -> None:
        self.state_dir = resolve_state_dir(state_dir)
        ensure_state_dir(self.state_dir)
        self.url = database_url(self.state_dir, url)
        self._shared: _Shared | None = None
        self._closed = False
        self._taking = threading.Lock()
        if connect:
            self._take()

    def _take(self) -> _Shared:
        with self._taking:
            if self._shared is None:
                assert not self._closed, "the database is closed"
                self._shared = _acquire(self.url, self.state_dir)
            return self._shared

    @property
    def engine(self) -> Engine:
        return self._take().engine

    @property
    def writer(self) -> Engine:
        return self._take().writer

    @property
    def shown_url(self) -> str:
        """The URL with its password hidden, for messages."""
        return hide_password(self.url)

    def repository_id(self, key: str, name: str = "", url: str | None = None) -> int:
        """The id of the repository ``key``, created (or adopted, see
        :func:`~conveyor.store.repositories.ensure_repository`) on first use."""
        from conveyor.store.repositories import ensure_repository

        shared = self._take()
        known = shared.repository_ids.get(key)
        if known is None:
            with self.writer.begin() as connection:
                known = ensure_repository(statements_on(connection), key, name or key, url)
            shared.repository_ids[key] = known
        return known

    def close(self) -> None:
        with self._taking:
            shared, self._shared = self._shared, None
            self._closed = True
        if shared is not None:
            _release(self.url, shared)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class _OnConnection:
    """:class:`~conveyor.store.dbapi.Statements` on a SQLAlchemy connection or session."""

    def __init__(self, connection: Connection | Session) -> None:
        from sqlalchemy.orm import Session

        self._connection = connection
        bind = connection.get_bind() if isinstance(connection, Session) else connection
        self.backend = bind.dialect.name

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> int:
        from sqlalchemy import text

        result = self._connection.execute(text(sql), dict(params or {}))
        return int(getattr(result, "rowcount", 0))

    def rows(self, sql: str, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        from sqlalchemy import text

        return [tuple(row) for row in self._connection.execute(text(sql), dict(params or {}))]

    def scalar(self, sql: str, params: Mapping[str, Any] | None = None) -> Any:
        from sqlalchemy import text

        return self._connection.execute(text(sql), dict(params or {})).scalar()

    def executemany(self, sql: str, params: Iterable[Mapping[str, Any]]) -> None:
        from sqlalchemy import text

        self._connection.execute(text(sql), [dict(p) for p in params])


def statements_on(connection: Connection | Session) -> Statements:
    """A helper written on :class:`~conveyor.store.dbapi.Statements` (plain SQL, once)
    run on a SQLAlchemy connection or session, inside its transaction."""
    return _OnConnection(connection)


# ---------------------------------------------------------------- `conveyor db`


def upgrade_database(
    state_dir: str | os.PathLike[str] | None = None, url: str | None = None
) -> tuple[str, str | None, str]:
    """Migrate the database to the newest schema (``conveyor db upgrade``); returns
    (URL with the password hidden, revision before, revision after)."""
    directory = resolve_state_dir(state_dir)
    chosen = database_url(directory, url)
    if chosen.startswith("sqlite"):
        ensure_state_dir(directory)
    engine = create_db_engine(chosen)
    try:
        before, after = migrate(engine, directory if chosen.startswith("sqlite") else None)
    finally:
        engine.dispose()
    return hide_password(chosen), before, after


def database_revision(
    state_dir: str | os.PathLike[str] | None = None, url: str | None = None
) -> tuple[str, str | None]:
    """(URL with the password hidden, schema revision or None) without creating anything."""
    directory = resolve_state_dir(state_dir)
    chosen = database_url(directory, url)
    engine = create_db_engine(chosen)
    try:
        database = engine.url.database
        if engine.dialect.name == "sqlite" and database and not Path(database).exists():
            return hide_password(chosen), None
        return hide_password(chosen), current_revision(engine)
    finally:
        engine.dispose()


# ---------------------------------------------------------------- file lock


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
