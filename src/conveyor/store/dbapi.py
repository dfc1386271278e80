"""The history database through its driver (``sqlite3``, psycopg), without SQLAlchemy.

The run recorder (:mod:`conveyor.store.recorder`) writes through this: importing
SQLAlchemy costs a process about 26 MiB, more than a one-step run needs for everything
else, and a run records before its first step. Readers (``conveyor runs``, reports, the
server) and the other stores keep SQLAlchemy (:mod:`conveyor.store.database`).

* Statements are plain SQL with ``:name`` parameters, the same text on SQLite and
  PostgreSQL (both take ``ON CONFLICT`` and ``RETURNING``); :class:`Statements` is what a
  helper written once takes, here or on a SQLAlchemy connection
  (:func:`conveyor.store.database.statements_on`).
* The connection has the settings the SQLAlchemy engines use (WAL, busy timeout,
  foreign keys, ``BEGIN IMMEDIATE`` for writes on SQLite; a connect timeout on
  PostgreSQL), one transaction at a time (thread-safe); a PostgreSQL connection that
  broke is opened again at the next transaction.
* Opening reads the schema revision with plain SQL; only a database that needs migrating
  imports SQLAlchemy and Alembic (:func:`conveyor.store.database.check_schema`).
* Failures of the database itself become the same one-line
  :class:`~conveyor.errors.DatabaseError` as through SQLAlchemy
  (:func:`conveyor.store.dberrors.database_failure`).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from conveyor.errors import ConfigError
from conveyor.store.dberrors import database_failure
from conveyor.store.revisions import HEAD_REVISION

BUSY_TIMEOUT_SECONDS = 60.0
CONNECT_TIMEOUT_SECONDS = 10
SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_SECONDS * 1000)}",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA foreign_keys=ON",
    # up to 8 MiB of pages and of sort space (taken only when used): with the default
    # 2 MiB the GROUP BY of a month of test results spills to a temp file
    "PRAGMA cache_size=-8192",
)
_NAMED = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")
_SQLITE_PREFIX = "sqlite://"
_POSTGRES_PREFIX = "postgresql+psycopg://"


@runtime_checkable
class Statements(Protocol):
    """One transaction's statements: ``:name`` parameters, rows as tuples."""

    backend: str  # "sqlite" or "postgresql"

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> int:
        """Run ``sql``; returns the number of rows it changed."""
        ...

    def rows(self, sql: str, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]: ...

    def scalar(self, sql: str, params: Mapping[str, Any] | None = None) -> Any:
        """The first column of the first row (None when there is no row)."""
        ...

    def executemany(self, sql: str, params: Iterable[Mapping[str, Any]]) -> None: ...


def to_json(value: Any) -> str:
    """A JSON column's parameter (text; PostgreSQL casts it to ``jsonb``)."""
    return json.dumps(value)


def from_json(value: Any) -> Any:
    """A JSON column's value: text from SQLite, already parsed from PostgreSQL."""
    return json.loads(value) if isinstance(value, str | bytes) else value


def backend_of(url: str) -> str:
    if url.startswith(_SQLITE_PREFIX):
        return "sqlite"
    if url.startswith(_POSTGRES_PREFIX):
        return "postgresql"
    return ""


class _Cursor:
    """:class:`Statements` on a driver cursor."""

    def __init__(self, cursor: Any, backend: str) -> None:
        self._cursor = cursor
        self.backend = backend

    def _sql(self, sql: str) -> str:
        if self.backend == "postgresql":
            return _NAMED.sub(r"%(\1)s", sql.replace("%", "%%"))
        return sql

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> int:
        self._cursor.execute(self._sql(sql), dict(params or {}))
        return int(self._cursor.rowcount)

    def rows(self, sql: str, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        self._cursor.execute(self._sql(sql), dict(params or {}))
        return [tuple(row) for row in self._cursor.fetchall()]

    def scalar(self, sql: str, params: Mapping[str, Any] | None = None) -> Any:
        self._cursor.execute(self._sql(sql), dict(params or {}))
        row = self._cursor.fetchone()
        return None if row is None else row[0]

    def executemany(self, sql: str, params: Iterable[Mapping[str, Any]]) -> None:
        self._cursor.executemany(self._sql(sql), [dict(p) for p in params])


class DirectDatabase:
    """A connection to the history database at ``url`` (SQLite or PostgreSQL, as
    :func:`conveyor.store.paths.database_url` gives it), at the newest schema: migrated
    first when it is SQLite or empty (``lock_dir`` holds the migration lock)."""

    def __init__(self, url: str, lock_dir: Path | None = None) -> None:
        self.url = url
        self.backend = backend_of(url)
        if not self.backend:
            _unsupported(url)
        self._lock = threading.RLock()
        self._connection: Any = None
        self.commits = 0  # write transactions committed (for tests and benchmarks)
        with self._translated():
            self._connection = self._connect()
        self._check_schema(lock_dir)

    # ------------------------------------------------------------ connection

    def _connect(self) -> Any:
        if self.backend == "sqlite":
            import sqlite3

            path = self.url.removeprefix(_SQLITE_PREFIX).removeprefix("/") or ":memory:"
            connection = sqlite3.connect(
                path,
                timeout=BUSY_TIMEOUT_SECONDS,
                check_same_thread=False,
                isolation_level=None,  # transactions begin with our BEGIN, not the driver's
            )
            for pragma in SQLITE_PRAGMAS:
                connection.execute(pragma)
            return connection
        import psycopg
        from sqlalchemy.engine import make_url  # PostgreSQL: validated as the engines do

        from conveyor.store.dberrors import invalid_url

        try:
            parsed = make_url(self.url).set(drivername="postgresql")
        except ValueError:
            raise invalid_url(self.url) from None
        return psycopg.connect(
            parsed.render_as_string(hide_password=False),
            autocommit=True,
            connect_timeout=CONNECT_TIMEOUT_SECONDS,
        )

    def _driver(self) -> Any:
        if self.backend == "sqlite":
            import sqlite3

            return sqlite3
        import psycopg

        return psycopg

    def _errors(self) -> tuple[type[BaseException], ...]:
        driver = self._driver()
        return (driver.OperationalError, driver.InterfaceError, driver.InternalError)

    @contextmanager
    def _translated(self) -> Iterator[None]:
        """Failures of the database itself as :class:`DatabaseError`; integrity and
        programming errors (conveyor's to handle, or bugs) as they are."""
        driver = self._driver()
        try:
            yield
        except driver.DatabaseError as exc:
            if isinstance(exc, self._errors()) or type(exc) is driver.DatabaseError:
                self._drop_broken()
                raise database_failure(exc, self.url, self.backend) from exc
            raise

    def _drop_broken(self) -> None:
        connection = self._connection
        if self.backend == "postgresql" and connection is not None and connection.broken:
            self._connection = None

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Statements]:
        """One transaction, committed when the block ends (rolled back if it raises)."""
        with self._lock, self._translated():
            begin = "BEGIN IMMEDIATE" if write and self.backend == "sqlite" else "BEGIN"
            cursor = self._begin(begin)
            try:
                try:
                    yield _Cursor(cursor, self.backend)
                except BaseException:
                    _quietly(cursor, "ROLLBACK")
                    raise
                cursor.execute("COMMIT")
                if write:
                    self.commits += 1
            finally:
                cursor.close()

    def _begin(self, begin: str) -> Any:
        """A cursor in a new transaction. A PostgreSQL connection the server closed since
        (restart, idle timeout) is opened again once, as a pool's pre-ping would."""
        fresh = self._connection is None
        if fresh:
            self._connection = self._connect()
        cursor = self._connection.cursor()
        try:
            cursor.execute(begin)
        except self._errors():
            cursor.close()
            if fresh or self.backend != "postgresql":
                raise
            _quietly_close(self._connection)
            self._connection = self._connect()
            cursor = self._connection.cursor()
            cursor.execute(begin)
        return cursor

    def close(self) -> None:
        with self._lock:
            connection, self._connection = self._connection, None
            if connection is not None:
                connection.close()

    # ------------------------------------------------------------ schema

    def revision(self) -> str | None:
        """The schema revision (None: no conveyor schema yet), by plain SQL."""
        with self.transaction(write=False) as sql:
            if self.backend == "sqlite":
                table = sql.scalar(
                    "SELECT name FROM sqlite_master WHERE type = 'table' "
                    "AND name = 'alembic_version'"
                )
            else:
                table = sql.scalar("SELECT to_regclass('alembic_version')")
            if table is None:
                return None
            found = sql.scalar("SELECT version_num FROM alembic_version")
        return None if found is None else str(found)

    def _check_schema(self, lock_dir: Path | None) -> None:
        if self.revision() == HEAD_REVISION:
            return
        from conveyor.store.database import check_schema, create_db_engine  # to migrate

        engine = create_db_engine(self.url)
        try:
            check_schema(engine, lock_dir)
        finally:
            engine.dispose()


def _quietly(cursor: Any, sql: str) -> None:
    try:
        cursor.execute(sql)
    except Exception:  # the connection is gone: nothing to roll back
        return


def _quietly_close(connection: Any) -> None:
    try:
        connection.close()
    except Exception:  # already gone
        return


def _unsupported(url: str) -> None:
    """Raise the error an engine gives for ``url`` (invalid, no driver), else say that
    conveyor records runs in SQLite or PostgreSQL."""
    from conveyor.store.database import create_db_engine
    from conveyor.store.dberrors import hide_password

    create_db_engine(url).dispose()
    raise ConfigError(
        f"conveyor records runs in SQLite or PostgreSQL, not {hide_password(url)}: point "
        "CONVEYOR_DATABASE_URL at postgresql://USER:PASSWORD@HOST:5432/DATABASE, or unset it"
    )
