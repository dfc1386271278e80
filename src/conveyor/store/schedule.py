"""Scheduler firing records: claim a (repository, workflow, cron, slot) once, then record
how it ended.

The unique constraint on ``(repository_id, workflow_path, cron, slot)`` is what keeps a
restarted (or a second) ``conveyor schedule run`` from firing a slot again, while two
repositories sharing one database each fire their own: :meth:`FiringStore.claim` inserts
the row and returns False when it already exists. ``slot`` is the UTC POSIX second of the
scheduled time.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from conveyor.store.database import StateDatabase
from conveyor.store.models import RepositoryRow, ScheduleFiringRow

FIRED, SUCCESS, FAILURE, CANCELLED = "fired", "success", "failure", "cancelled"


@dataclass(frozen=True, slots=True)
class Firing:
    workflow_path: str
    cron: str
    slot: int
    fired_at: float
    ended_at: float | None
    status: str
    note: str
    repository: str = ""  # the repository's key


class FiringStore(StateDatabase):
    """Firing records in the history database of ``state_dir`` (or at ``url``)."""

    def __init__(self, state_dir: str | os.PathLike[str], url: str | None = None) -> None:
        super().__init__(state_dir, url)
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        self._write = sessionmaker(self.writer, expire_on_commit=False)

    def claim(self, repository: str, workflow_path: str, cron: str, slot: int) -> bool:
        """Record that the repository's slot fires now; False when it was already claimed."""
        if not repository:
            raise ValueError("a schedule firing needs the repository's key")
        row = ScheduleFiringRow(
            repository_id=self.repository_id(repository),
            workflow_path=workflow_path,
            cron=cron,
            slot=slot,
            fired_at=time.time(),
            status=FIRED,
            note="",
        )
        try:
            with self._write.begin() as session:
                session.add(row)
        except IntegrityError:
            return False
        return True

    def finish(
        self,
        repository: str,
        workflow_path: str,
        cron: str,
        slot: int,
        *,
        status: str,
        note: str = "",
    ) -> None:
        """Record how a claimed firing ended (``success``/``failure``/``cancelled``)."""
        with self._write.begin() as session:
            session.execute(
                update(ScheduleFiringRow)
                .where(
                    ScheduleFiringRow.repository_id == self.repository_id(repository),
                    ScheduleFiringRow.workflow_path == workflow_path,
                    ScheduleFiringRow.cron == cron,
                    ScheduleFiringRow.slot == slot,
                )
                .values(status=status, note=note, ended_at=time.time())
            )

    def firings(self, repository: str | None = None, limit: int | None = None) -> list[Firing]:
        """Recorded firings of ``repository`` (a key; None: every repository), oldest slot
        first; with ``limit``, only the newest ``limit`` of them."""
        query = select(ScheduleFiringRow, RepositoryRow.key).join(
            RepositoryRow, RepositoryRow.id == ScheduleFiringRow.repository_id
        )
        if repository is not None:
            query = query.where(RepositoryRow.key == repository)
        newest = query.order_by(ScheduleFiringRow.slot.desc(), ScheduleFiringRow.id.desc())
        if limit is not None:
            newest = newest.limit(limit)
        with self._read() as session:
            rows = session.execute(newest).all()
        return [
            Firing(r.workflow_path, r.cron, r.slot, r.fired_at, r.ended_at, r.status, r.note, key)
            for r, key in reversed(rows)
        ]
