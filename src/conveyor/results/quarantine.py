"""Quarantined tests: they still run and are reported, but their failures don't fail a tier.

Quarantine is per repository. :func:`is_quarantined` is the API the tiers feature asks.
"""

from __future__ import annotations

import getpass
import time
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, delete, insert, select

from conveyor.results.db import ResultsDb
from conveyor.store.repositories import find_repository
from conveyor.store.results_models import QUARANTINE


@dataclass(frozen=True, slots=True)
class QuarantineEntry:
    test_id: str
    reason: str
    added_at: float
    added_by: str
    automatic: bool


def _user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return ""


def add(
    db: ResultsDb,
    repository_id: int,
    test_id: str,
    reason: str = "",
    *,
    automatic: bool = False,
    by: str | None = None,
) -> bool:
    """Quarantine ``test_id`` in the repository (``by`` whom: default, this process's
    user); False when it already was (its reason is kept)."""
    q = QUARANTINE.c
    with db.writer.begin() as connection:
        exists = connection.execute(
            select(q.test_id).where(q.repository_id == repository_id, q.test_id == test_id)
        ).first()
        if exists is not None:
            return False
        connection.execute(
            insert(QUARANTINE).values(
                repository_id=repository_id,
                test_id=test_id,
                reason=reason,
                added_at=time.time(),
                added_by=_user() if by is None else by,
                automatic=automatic,
            )
        )
    return True


def remove(db: ResultsDb, repository_id: int, test_id: str) -> bool:
    """Release ``test_id`` in the repository; False when it was not quarantined."""
    q = QUARANTINE.c
    with db.writer.begin() as connection:
        result = connection.execute(
            delete(QUARANTINE).where(q.repository_id == repository_id, q.test_id == test_id)
        )
    return bool(result.rowcount)


def entries(connection: Connection, repository_id: int) -> list[QuarantineEntry]:
    q = QUARANTINE.c
    rows = connection.execute(
        select(QUARANTINE).where(q.repository_id == repository_id).order_by(q.test_id)
    )
    return [
        QuarantineEntry(r.test_id, r.reason, float(r.added_at), r.added_by, bool(r.automatic))
        for r in rows
    ]


def quarantined_among(connection: Connection, repository_id: int, names: Iterable[str]) -> set[str]:
    """The subset of ``names`` (test ids) quarantined in the repository."""
    q = QUARANTINE.c
    wanted = sorted(set(names))
    found: set[str] = set()
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        query = select(q.test_id).where(q.repository_id == repository_id, q.test_id.in_(chunk))
        found.update(str(t) for t in connection.execute(query).scalars())
    return found


def is_quarantined(
    names: Iterable[str], repository: str, *, state_dir: str | None = None, url: str | None = None
) -> set[str]:
    """The subset of ``names`` (test ids) quarantined in the repository with key
    ``repository``."""
    with ResultsDb(state_dir, url) as db, db.read() as connection:
        repository_id = find_repository(connection, repository)
        if repository_id is None:
            return set()
        return quarantined_among(connection, repository_id, names)
