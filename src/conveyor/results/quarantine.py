"""Quarantined tests: they still run and are reported, but their failures don't fail a tier.

:func:`is_quarantined` is the API the tiers feature asks.
"""

from __future__ import annotations

import getpass
import time
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, delete, insert, select

from conveyor.results.db import ResultsDb
from conveyor.results.tables import QUARANTINE


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


def add(db: ResultsDb, test_id: str, reason: str = "", *, automatic: bool = False) -> bool:
    """Quarantine ``test_id``; False when it already was (its reason is kept)."""
    with db.writer.begin() as connection:
        exists = connection.execute(
            select(QUARANTINE.c.test_id).where(QUARANTINE.c.test_id == test_id)
        ).first()
        if exists is not None:
            return False
        connection.execute(
            insert(QUARANTINE).values(
                test_id=test_id,
                reason=reason,
                added_at=time.time(),
                added_by=_user(),
                automatic=automatic,
            )
        )
    return True


def remove(db: ResultsDb, test_id: str) -> bool:
    """Release ``test_id``; False when it was not quarantined."""
    with db.writer.begin() as connection:
        result = connection.execute(delete(QUARANTINE).where(QUARANTINE.c.test_id == test_id))
    return bool(result.rowcount)


def entries(connection: Connection) -> list[QuarantineEntry]:
    rows = connection.execute(select(QUARANTINE).order_by(QUARANTINE.c.test_id))
    return [
        QuarantineEntry(r.test_id, r.reason, float(r.added_at), r.added_by, bool(r.automatic))
        for r in rows
    ]


def quarantined_among(connection: Connection, names: Iterable[str]) -> set[str]:
    wanted = sorted(set(names))
    found: set[str] = set()
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        query = select(QUARANTINE.c.test_id).where(QUARANTINE.c.test_id.in_(chunk))
        found.update(str(t) for t in connection.execute(query).scalars())
    return found


def is_quarantined(
    names: Iterable[str], *, state_dir: str | None = None, url: str | None = None
) -> set[str]:
    """The subset of ``names`` (test ids) that is quarantined."""
    with ResultsDb(state_dir, url) as db, db.read() as connection:
        return quarantined_among(connection, names)
