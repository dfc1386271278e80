"""The server's records: registered repositories and webhook deliveries.

:meth:`ServerStore.record_delivery` inserts a delivery in one transaction; the unique
key on ``delivery_id`` makes a redelivery -- even one racing the first on another
connection or another server -- find the first record instead (no second run).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from conveyor.errors import UserError
from conveyor.store.database import StateDatabase
from conveyor.store.server_models import ServerRepositoryRow, WebhookDeliveryRow

QUEUED, STARTING, STARTED = "queued", "starting", "started"
IGNORED, FAILED = "ignored", "failed"


@dataclass(frozen=True, slots=True)
class ServerRepository:
    name: str
    url: str
    webhook_secret_env: str | None = None
    token_env: str | None = None


@dataclass(frozen=True, slots=True)
class Delivery:
    delivery_id: str
    repository: str
    event: str
    action: str
    status: str
    payload: dict[str, Any] = field(default_factory=dict)
    run_ids: tuple[int, ...] = ()
    note: str = ""


@dataclass(frozen=True, slots=True)
class NewDelivery:
    delivery_id: str
    repository: str
    event: str
    action: str
    payload: dict[str, Any]
    status: str = QUEUED
    note: str = ""


def _delivery(row: WebhookDeliveryRow) -> Delivery:
    return Delivery(
        row.delivery_id,
        row.repository,
        row.event,
        row.action,
        row.status,
        dict(row.payload),
        tuple(int(i) for i in row.run_ids or ()),
        row.note,
    )


class ServerStore(StateDatabase):
    """The server's tables in the history database of ``state_dir`` (or at ``url``)."""

    def __init__(self, state_dir: str | os.PathLike[str], url: str | None = None) -> None:
        super().__init__(state_dir, url)
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        self._write = sessionmaker(self.writer, expire_on_commit=False)

    # ------------------------------------------------------------ repositories

    def add_repository(self, repo: ServerRepository) -> None:
        """Register ``repo``; a name already registered is refused (remove it first)."""
        row = ServerRepositoryRow(
            name=repo.name,
            url=repo.url,
            webhook_secret_env=repo.webhook_secret_env,
            token_env=repo.token_env,
            created_at=time.time(),
        )
        try:
            with self._write.begin() as session:
                session.add(row)
        except IntegrityError:
            raise UserError(
                f"repository {repo.name!r} is already registered; "
                f"conveyor repos remove {repo.name} first to change it"
            ) from None

    def remove_repository(self, name: str) -> bool:
        with self._write.begin() as session:
            result = session.execute(
                delete(ServerRepositoryRow).where(ServerRepositoryRow.name == name)
            )
            return bool(getattr(result, "rowcount", 0))

    def repositories(self) -> list[ServerRepository]:
        with self._read() as session:
            rows = session.scalars(select(ServerRepositoryRow).order_by(ServerRepositoryRow.name))
            return [
                ServerRepository(r.name, r.url, r.webhook_secret_env, r.token_env) for r in rows
            ]

    def repository(self, name: str) -> ServerRepository | None:
        return next((r for r in self.repositories() if r.name == name), None)

    # ------------------------------------------------------------ deliveries

    def record_delivery(
        self,
        delivery_id: str,
        repository: str,
        event: str,
        action: str,
        payload: dict[str, Any],
        *,
        status: str = QUEUED,
        note: str = "",
    ) -> tuple[bool, Delivery]:
        """(True, the new record), or (False, the earlier one) for a redelivery."""
        row = WebhookDeliveryRow(
            delivery_id=delivery_id,
            repository=repository,
            event=event,
            action=action,
            payload=payload,
            status=status,
            run_ids=[],
            note=note,
            received_at=time.time(),
            handled_at=None if status == QUEUED else time.time(),
        )
        try:
            with self._write.begin() as session:
                session.add(row)
        except IntegrityError:
            earlier = self.delivery(delivery_id)
            if earlier is None:  # pragma: no cover - removed between insert and read
                raise
            return False, earlier
        return True, _delivery(row)

    def record_deliveries(self, items: list[NewDelivery]) -> list[tuple[bool, Delivery]]:
        """Record many deliveries in one transaction (one write lock for a burst);
        for each, as :meth:`record_delivery`. A delivery id given twice, or already
        recorded (by this server or another), is new once only."""
        now = time.time()
        table = WebhookDeliveryRow
        dialect = self.writer.dialect.name
        inserted: set[str] = set()
        with self.writer.begin() as connection:
            # in one order for every writer: two batches inserting the same ids in other
            # orders would each wait for the other's row (a PostgreSQL deadlock)
            for item in sorted(items, key=lambda found: found.delivery_id):
                if item.delivery_id in inserted:
                    continue
                values = {
                    "delivery_id": item.delivery_id,
                    "repository": item.repository,
                    "event": item.event,
                    "action": item.action,
                    "payload": item.payload,
                    "status": item.status,
                    "run_ids": [],
                    "note": item.note,
                    "received_at": now,
                    "handled_at": None if item.status == QUEUED else now,
                }
                if dialect == "postgresql":
                    statement: Any = postgresql.insert(table).values(values)
                    statement = statement.on_conflict_do_nothing()
                elif dialect == "sqlite":
                    statement = sqlite.insert(table).values(values).on_conflict_do_nothing()
                else:  # pragma: no cover - conveyor supports SQLite and PostgreSQL
                    statement = insert(table).values(values)
                row = connection.execute(statement.returning(table.id)).first()
                if row is not None:  # None: the id was there already (ON CONFLICT)
                    inserted.add(item.delivery_id)
        others = {item.delivery_id for item in items} - inserted
        earlier: dict[str, Delivery] = {}
        if others:
            with self._read() as session:
                rows = session.scalars(
                    select(WebhookDeliveryRow).where(WebhookDeliveryRow.delivery_id.in_(others))
                )
                earlier = {row.delivery_id: _delivery(row) for row in rows}
        answers: list[tuple[bool, Delivery]] = []
        reported: set[str] = set()
        for item in items:
            if item.delivery_id in inserted and item.delivery_id not in reported:
                reported.add(item.delivery_id)
                answers.append((True, Delivery(item.delivery_id, item.repository, item.event,
                                               item.action, item.status, item.payload,
                                               (), item.note)))  # fmt: skip
                continue
            if item.delivery_id in inserted:  # given twice in this batch
                answers.append(
                    (False, answers[[a[1].delivery_id for a in answers].index(item.delivery_id)][1])
                )
                continue
            answers.append((False, earlier[item.delivery_id]))
        return answers

    def delivery(self, delivery_id: str) -> Delivery | None:
        with self._read() as session:
            row = session.scalar(
                select(WebhookDeliveryRow).where(WebhookDeliveryRow.delivery_id == delivery_id)
            )
            return None if row is None else _delivery(row)

    def finish_delivery(
        self, delivery_id: str, status: str, run_ids: list[int], note: str = ""
    ) -> None:
        with self._write.begin() as session:
            session.execute(
                update(WebhookDeliveryRow)
                .where(WebhookDeliveryRow.delivery_id == delivery_id)
                .values(status=status, run_ids=run_ids, note=note, handled_at=time.time())
            )

    def claim_delivery(self, delivery_id: str) -> Delivery | None:
        """Take a ``queued`` delivery to start its runs (it becomes ``starting``); None when
        it is not queued (another dispatcher, or another server, took it)."""
        with self._write.begin() as session:
            result = session.execute(
                update(WebhookDeliveryRow)
                .where(WebhookDeliveryRow.delivery_id == delivery_id)
                .where(WebhookDeliveryRow.status == QUEUED)
                .values(status=STARTING)
            )
            if not getattr(result, "rowcount", 0):
                return None
        return self.delivery(delivery_id)

    def requeue(self, delivery_id: str) -> None:
        """A delivery whose runs were not started after all, queued again."""
        with self._write.begin() as session:
            session.execute(
                update(WebhookDeliveryRow)
                .where(WebhookDeliveryRow.delivery_id == delivery_id)
                .where(WebhookDeliveryRow.status == STARTING)
                .values(status=QUEUED)
            )

    def requeue_starting(self) -> int:
        """Deliveries a stopped server was starting, queued again (at least once: a run it
        had begun for one may start again); how many."""
        with self._write.begin() as session:
            result = session.execute(
                update(WebhookDeliveryRow)
                .where(WebhookDeliveryRow.status == STARTING)
                .values(status=QUEUED)
            )
            return int(getattr(result, "rowcount", 0) or 0)

    def queued_deliveries(self) -> list[str]:
        """Deliveries accepted but not handled yet (the server stopped first), oldest first."""
        with self._read() as session:
            return list(
                session.scalars(
                    select(WebhookDeliveryRow.delivery_id)
                    .where(WebhookDeliveryRow.status == QUEUED)
                    .order_by(WebhookDeliveryRow.id)
                )
            )

    def count_deliveries(self) -> dict[str, int]:
        with self._read() as session:
            rows = session.execute(select(WebhookDeliveryRow.status)).scalars().all()
        counts: dict[str, int] = {}
        for status in rows:
            counts[status] = counts.get(status, 0) + 1
        return counts

    # ------------------------------------------------------------ runs

    def run_record(self, run_id: int) -> str | None:
        """The durable record of run ``run_id`` (what a re-run plans from), or None."""
        from conveyor.store.models import RunRow

        with self._read() as session:
            found = session.scalar(select(RunRow.record).where(RunRow.id == run_id))
            return None if found is None else str(found)

    def interrupted_runs(self, since: float, note: str) -> list[int]:
        """Runs recorded interrupted at or after ``since`` that have a plan to resume from
        and whose note ends with ``note`` (not resumed since they were interrupted)."""
        from conveyor.store.models import RunRow

        with self._read() as session:
            rows = session.execute(
                select(RunRow.id, RunRow.note)
                .where(RunRow.conclusion == "interrupted", RunRow.record.is_not(None))
                .where(RunRow.ended_at >= since)
                .order_by(RunRow.id)
            ).all()
        return [int(i) for i, text in rows if (text or "").rstrip().endswith(note)]
