"""The repositories a database serves: find one by key, create it on first use.

A database from before repositories existed (schema revision 0003) has its runs under
``legacy:<name>`` keys, one per ``github.repository`` value recorded. The first repository
of that name to record or ingest into the database adopts the legacy entry (it takes the
real key and URL), so its history stays in its own listings after the upgrade.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from conveyor.engine.runkeys import run_key
from conveyor.store.dbapi import Statements

if TYPE_CHECKING:
    from sqlalchemy import Connection
    from sqlalchemy.orm import Session

LEGACY_PREFIX = "legacy:"


@dataclass(frozen=True, slots=True)
class RepositoryInfo:
    id: int
    key: str
    name: str
    url: str | None


def _statements(connection: Statements | Connection | Session) -> Statements:
    """Plain statements on a driver transaction, or on a SQLAlchemy connection or session."""
    if isinstance(connection, Statements):
        return connection
    from conveyor.store.database import statements_on

    return statements_on(connection)


def find_repository(connection: Statements | Connection | Session, key: str) -> int | None:
    """The id of the repository ``key``; None when nothing was ever recorded for it."""
    found = _statements(connection).scalar(
        "SELECT id FROM repositories WHERE key = :key", {"key": key}
    )
    return None if found is None else int(found)


def ensure_repository(
    connection: Statements | Connection | Session, key: str, name: str, url: str | None
) -> int:
    """The id of the repository ``key``: existing, adopted from a legacy entry named
    ``name``, or new. Safe against concurrent writers (the key is unique)."""
    sql = _statements(connection)
    found = find_repository(sql, key)
    if found is not None:
        if name != key:  # named after its key when a schedule firing came first
            sql.execute(
                "UPDATE repositories SET name = :name, url = :url WHERE id = :id AND name = :key",
                {"name": name, "url": url, "id": found, "key": key},
            )
        return found
    sql.execute(
        "UPDATE repositories SET key = :key, name = :name, url = :url WHERE key = :legacy",
        {"key": key, "name": name, "url": url, "legacy": LEGACY_PREFIX + name},
    )
    sql.execute(
        "INSERT INTO repositories (key, name, url, created_at) "
        "VALUES (:key, :name, :url, :created_at) ON CONFLICT DO NOTHING",
        {"key": key, "name": name, "url": url, "created_at": time.time()},
    )
    created = find_repository(sql, key)
    assert created is not None
    return created


def run_repository(connection: Statements | Connection | Session, run_id: int) -> int | None:
    """The repository of run ``run_id``; None when there is no such run."""
    found = _statements(connection).scalar(
        "SELECT repository_id FROM runs WHERE id = :id", {"id": run_id}
    )
    return None if found is None else int(found)


def run_folder_key(connection: Statements | Connection | Session, run_id: int) -> str | None:
    """The name of run ``run_id``'s folders under the state directory
    (:func:`conveyor.engine.runkeys.run_key`); None when there is no such run."""
    uid = _statements(connection).scalar("SELECT uid FROM runs WHERE id = :id", {"id": run_id})
    return None if uid is None else run_key(run_id, str(uid))


def list_repositories(connection: Statements | Connection | Session) -> list[RepositoryInfo]:
    rows = _statements(connection).rows("SELECT id, key, name, url FROM repositories ORDER BY id")
    return [RepositoryInfo(int(i), str(k), str(n), u) for i, k, n, u in rows]
