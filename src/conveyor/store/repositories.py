"""The repositories a database serves: find one by key, create it on first use.

A database from before repositories existed (schema revision 0003) has its runs under
``legacy:<name>`` keys, one per ``github.repository`` value recorded. The first repository
of that name to record or ingest into the database adopts the legacy entry (it takes the
real key and URL), so its history stays in its own listings after the upgrade.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from conveyor.engine.runkeys import run_key
from conveyor.store.models import RepositoryRow, RunRow

LEGACY_PREFIX = "legacy:"


@dataclass(frozen=True, slots=True)
class RepositoryInfo:
    id: int
    key: str
    name: str
    url: str | None


def find_repository(connection: Connection | Session, key: str) -> int | None:
    """The id of the repository ``key``; None when nothing was ever recorded for it."""
    found = connection.execute(select(RepositoryRow.id).where(RepositoryRow.key == key)).scalar()
    return None if found is None else int(found)


def ensure_repository(
    connection: Connection | Session, key: str, name: str, url: str | None
) -> int:
    """The id of the repository ``key``: existing, adopted from a legacy entry named
    ``name``, or new. Safe against concurrent writers (the key is unique)."""
    found = find_repository(connection, key)
    if found is not None:
        if name != key:  # named after its key when a schedule firing came first
            connection.execute(
                update(RepositoryRow)
                .where(RepositoryRow.id == found, RepositoryRow.name == key)
                .values(name=name, url=url)
            )
        return found
    connection.execute(
        update(RepositoryRow)
        .where(RepositoryRow.key == LEGACY_PREFIX + name)
        .values(key=key, name=name, url=url)
    )
    values = {"key": key, "name": name, "url": url, "created_at": time.time()}
    bind = connection.get_bind() if isinstance(connection, Session) else connection
    dialect = bind.dialect.name
    if dialect == "postgresql":
        connection.execute(postgresql.insert(RepositoryRow).values(values).on_conflict_do_nothing())
    elif dialect == "sqlite":
        connection.execute(sqlite.insert(RepositoryRow).values(values).on_conflict_do_nothing())
    elif find_repository(connection, key) is None:
        connection.execute(insert(RepositoryRow).values(values))
    created = find_repository(connection, key)
    assert created is not None
    return created


def run_repository(connection: Connection | Session, run_id: int) -> int | None:
    """The repository of run ``run_id``; None when there is no such run."""
    found = connection.execute(select(RunRow.repository_id).where(RunRow.id == run_id)).scalar()
    return None if found is None else int(found)


def run_folder_key(connection: Connection | Session, run_id: int) -> str | None:
    """The name of run ``run_id``'s folders under the state directory
    (:func:`conveyor.engine.runkeys.run_key`); None when there is no such run."""
    uid = connection.execute(select(RunRow.uid).where(RunRow.id == run_id)).scalar()
    return None if uid is None else run_key(run_id, str(uid))


def list_repositories(connection: Connection | Session) -> list[RepositoryInfo]:
    rows = connection.execute(
        select(RepositoryRow.id, RepositoryRow.key, RepositoryRow.name, RepositoryRow.url).order_by(
            RepositoryRow.id
        )
    )
    return [RepositoryInfo(int(i), str(k), str(n), u) for i, k, n, u in rows]
