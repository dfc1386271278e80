"""Approvals of jobs of protected environments: a request when a job starts to wait, the
decision (who, when, why) when someone approves or rejects."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, Row, insert, select, update

from conveyor.engine.status import RunState
from conveyor.store.delivery_models import ApprovalRow
from conveyor.store.models import RunRow

WAITING, APPROVED, REJECTED = "waiting", "approved", "rejected"
_COLUMNS = tuple(ApprovalRow.__table__.c)


@dataclass(frozen=True, slots=True)
class Approval:
    id: int
    run_id: int
    job_key: str
    environment: str
    status: str
    reviewers: tuple[str, ...]
    requested_by: str
    requested_at: float
    wait_until: float | None
    decided_by: str | None
    decided_at: float | None
    comment: str


def _approval(row: Row[Any]) -> Approval:
    values = row._mapping
    return Approval(
        int(values["id"]),
        int(values["run_id"]),
        str(values["job_key"]),
        str(values["environment"]),
        str(values["status"]),
        tuple(values["reviewers"] or ()),
        str(values["requested_by"]),
        float(values["requested_at"]),
        values["wait_until"],
        values["decided_by"],
        values["decided_at"],
        str(values["comment"]),
    )


def request(
    writer: Engine,
    run_id: int,
    job_key: str,
    environment: str,
    *,
    reviewers: Sequence[str],
    requested_by: str,
    wait_seconds: float,
) -> Approval:
    """The job's approval request, made the first time it is asked for (its wait timer
    starts then; asking again, e.g. after a resume, keeps it)."""
    now = time.time()
    this = select(*_COLUMNS).where(ApprovalRow.run_id == run_id, ApprovalRow.job_key == job_key)
    with writer.begin() as connection:
        if connection.execute(this).first() is None:
            connection.execute(
                insert(ApprovalRow).values(
                    run_id=run_id,
                    job_key=job_key,
                    environment=environment,
                    status=WAITING if reviewers else APPROVED,
                    reviewers=list(reviewers),
                    requested_by=requested_by,
                    requested_at=now,
                    wait_until=now + wait_seconds if wait_seconds > 0 else None,
                    comment="",
                )
            )
        return _approval(connection.execute(this).one())


def of_run(engine: Engine, run_id: int, environment: str | None = None) -> list[Approval]:
    query = select(*_COLUMNS).where(ApprovalRow.run_id == run_id)
    if environment is not None:
        query = query.where(ApprovalRow.environment == environment)
    with engine.connect() as connection:
        rows = connection.execute(query.order_by(ApprovalRow.id)).all()
    return [_approval(row) for row in rows]


def pending(engine: Engine, repository_id: int | None) -> list[Approval]:
    """Requests still waiting for a decision, of the repository's runs (any, with None)
    that are not finished."""
    query = (
        select(*_COLUMNS)
        .join(RunRow, RunRow.id == ApprovalRow.run_id)
        .where(ApprovalRow.status == WAITING, RunRow.status != RunState.COMPLETED.value)
        .order_by(ApprovalRow.requested_at)
    )
    if repository_id is not None:
        query = query.where(RunRow.repository_id == repository_id)
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    return [_approval(row) for row in rows]


def decide(
    writer: Engine, run_id: int, environment: str, *, status: str, by: str, comment: str
) -> int:
    """Approve or reject every request of the run for the environment still waiting;
    returns how many were decided."""
    with writer.begin() as connection:
        result = connection.execute(
            update(ApprovalRow)
            .where(
                ApprovalRow.run_id == run_id,
                ApprovalRow.environment == environment,
                ApprovalRow.status == WAITING,
            )
            .values(status=status, decided_by=by, decided_at=time.time(), comment=comment)
        )
        return int(getattr(result, "rowcount", 0) or 0)
