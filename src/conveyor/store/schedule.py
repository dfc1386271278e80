"""Scheduler firing records: claim a (workflow, cron, slot) once, then record how it ended.

The unique constraint on ``(workflow_path, cron, slot)`` is what keeps a restarted (or a
second) ``conveyor schedule run`` from firing a slot again: :meth:`FiringStore.claim`
inserts the row and returns False when it already exists. ``slot`` is the UTC POSIX
second of the scheduled time.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from sqlalchemy import Double, Integer, String, Text, UniqueConstraint, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column, sessionmaker

from conveyor.store.database import WRITE_OPTION, create_db_engine, migrate
from conveyor.store.models import Base
from conveyor.store.paths import database_url, ensure_state_dir

FIRED, SUCCESS, FAILURE, CANCELLED = "fired", "success", "failure", "cancelled"


class ScheduleFiringRow(Base):
    __tablename__ = "schedule_firings"
    __table_args__ = (
        UniqueConstraint("workflow_path", "cron", "slot", name="uq_schedule_firings_slot"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workflow_path: Mapped[str] = mapped_column(String(1024), nullable=False)
    cron: Mapped[str] = mapped_column(String(255), nullable=False)
    slot: Mapped[int] = mapped_column(Integer, nullable=False)
    fired_at: Mapped[float] = mapped_column(Double, nullable=False)
    ended_at: Mapped[float | None] = mapped_column(Double)
    status: Mapped[str] = mapped_column(String(32), nullable=False)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")


@dataclass(frozen=True, slots=True)
class Firing:
    workflow_path: str
    cron: str
    slot: int
    fired_at: float
    ended_at: float | None
    status: str
    note: str


class FiringStore:
    """Firing records in the history database of ``state_dir`` (or at ``url``)."""

    def __init__(self, state_dir: str | os.PathLike[str], url: str | None = None) -> None:
        self.state_dir = Path(state_dir).expanduser().resolve()
        ensure_state_dir(self.state_dir)
        self._engine = create_db_engine(database_url(self.state_dir, url))
        migrate(self._engine, self.state_dir)
        self._read = sessionmaker(self._engine, expire_on_commit=False)
        writer = self._engine.execution_options(**{WRITE_OPTION: True})
        self._write = sessionmaker(writer, expire_on_commit=False)

    def claim(self, workflow_path: str, cron: str, slot: int) -> bool:
        """Record that the slot fires now; False when it was already claimed."""
        row = ScheduleFiringRow(
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

    def finish(self, workflow_path: str, cron: str, slot: int, status: str, note: str = "") -> None:
        """Record how a claimed firing ended (``success``/``failure``/``cancelled``)."""
        with self._write.begin() as session:
            session.execute(
                update(ScheduleFiringRow)
                .where(
                    ScheduleFiringRow.workflow_path == workflow_path,
                    ScheduleFiringRow.cron == cron,
                    ScheduleFiringRow.slot == slot,
                )
                .values(status=status, note=note, ended_at=time.time())
            )

    def firings(self) -> list[Firing]:
        """Every recorded firing, oldest slot first."""
        with self._read() as session:
            rows = session.scalars(
                select(ScheduleFiringRow).order_by(ScheduleFiringRow.slot, ScheduleFiringRow.id)
            ).all()
        return [
            Firing(r.workflow_path, r.cron, r.slot, r.fired_at, r.ended_at, r.status, r.note)
            for r in rows
        ]

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> FiringStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
