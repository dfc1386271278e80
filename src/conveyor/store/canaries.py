"""Canary releases in the store: durable state that other processes read and command.

:class:`CanaryStore` extends :class:`~conveyor.store.deliveries.DeliveryStore` with the
``canaries`` and ``canary_results`` tables (:mod:`conveyor.store.canary_models`). The
deploy step that runs a canary records each step, weight and analysis result as it goes
and polls for a command; ``conveyor canary status|abort|promote`` read the state and
leave commands from another process.
"""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update

from conveyor.store.canary_models import CanaryResultRow, CanaryRow
from conveyor.store.deliveries import DeliveryStore

# canary statuses
RUNNING = "running"  # stepping through its plan
PAUSED = "paused"  # waiting for `conveyor canary promote` (or abort)
PROMOTED = "promoted"  # the canary version is live
ABORTED = "aborted"  # the canary got weight 0; the stable version kept everything
FAILED = "failed"  # the procedure itself failed (a provider error)
ACTIVE = (RUNNING, PAUSED)
COMMANDS = ("abort", "promote", "promote-full")
ABORTED_DEPLOYMENT = "aborted"  # the status of the deployment row of an aborted canary


@dataclass(frozen=True, slots=True)
class Canary:
    id: int
    repository_id: int
    app: str
    environment: str
    deployment_id: int | None
    run_id: int | None
    job_key: str
    stable_version: str
    stable_ref: str
    canary_version: str
    canary_ref: str
    status: str
    plan: list[dict[str, Any]]
    step: int
    weight: float
    message: str
    paused_until: float | None
    command: str | None
    command_by: str
    command_reason: str
    verdict: dict[str, Any]
    owner_pid: int
    owner_host: str
    started_at: float
    updated_at: float
    ended_at: float | None


@dataclass(frozen=True, slots=True)
class CanaryResult:
    step: int
    interval: int
    metric: str
    verdict: str
    canary_value: float | None = None
    stable_value: float | None = None
    p_value: float | None = None
    effect: float | None = None
    detail: str = ""
    at: float = field(default_factory=time.time)


@dataclass(frozen=True, slots=True)
class NewCanary:
    repository_id: int
    app: str
    environment: str
    deployment_id: int
    stable_version: str
    stable_ref: str
    canary_version: str
    canary_ref: str
    plan: list[dict[str, Any]]
    run_id: int | None = None
    job_key: str = ""


def _canary(row: CanaryRow) -> Canary:
    return Canary(
        row.id, row.repository_id, row.app, row.environment, row.deployment_id, row.run_id,
        row.job_key, row.stable_version, row.stable_ref, row.canary_version, row.canary_ref,
        row.status, list(row.plan), row.step, row.weight, row.message, row.paused_until,
        row.command, row.command_by, row.command_reason, dict(row.verdict), row.owner_pid,
        row.owner_host, row.started_at, row.updated_at, row.ended_at,
    )  # fmt: skip


class CanaryStore(DeliveryStore):
    """The delivery tables and the canary tables."""

    def begin_canary(self, new: NewCanary) -> Canary:
        now = time.time()
        row = CanaryRow(
            repository_id=new.repository_id, app=new.app, environment=new.environment,
            deployment_id=new.deployment_id, run_id=new.run_id, job_key=new.job_key,
            stable_version=new.stable_version, stable_ref=new.stable_ref,
            canary_version=new.canary_version, canary_ref=new.canary_ref, status=RUNNING,
            plan=list(new.plan), step=0, weight=0.0, message="", verdict={},
            command_by="", command_reason="", owner_pid=os.getpid(),
            owner_host=socket.gethostname(), started_at=now, updated_at=now,
        )  # fmt: skip
        with self._write.begin() as session:
            session.add(row)
            session.flush()
            return _canary(row)

    def update_canary(self, canary_id: int, **values: Any) -> None:
        """Set columns of a canary (``status``, ``step``, ``weight``, ``message``,
        ``paused_until``, ``verdict``, ``ended_at``); texts are stored masked."""
        if "message" in values:
            values["message"] = self._mask(str(values["message"]))
        if "verdict" in values:
            values["verdict"] = {
                key: self._mask(value) if isinstance(value, str) else value
                for key, value in dict(values["verdict"]).items()
            }
        values["updated_at"] = time.time()
        with self._write.begin() as session:
            session.execute(update(CanaryRow).where(CanaryRow.id == canary_id).values(**values))

    def record_result(self, canary_id: int, result: CanaryResult) -> None:
        with self._write.begin() as session:
            session.add(
                CanaryResultRow(
                    canary_id=canary_id,
                    step=result.step,
                    interval=result.interval,
                    metric=self._mask(result.metric),
                    verdict=result.verdict,
                    canary_value=result.canary_value,
                    stable_value=result.stable_value,
                    p_value=result.p_value,
                    effect=result.effect,
                    detail=self._mask(result.detail),
                    at=result.at,
                )
            )

    def results(self, canary_id: int) -> list[CanaryResult]:
        with self._read() as session:
            rows = session.scalars(
                select(CanaryResultRow)
                .where(CanaryResultRow.canary_id == canary_id)
                .order_by(CanaryResultRow.id)
            ).all()
        return [
            CanaryResult(
                r.step,
                r.interval,
                r.metric,
                r.verdict,
                r.canary_value,
                r.stable_value,
                r.p_value,
                r.effect,
                r.detail,
                r.at,
            )
            for r in rows
        ]

    def canary(self, canary_id: int) -> Canary | None:
        with self._read() as session:
            row = session.get(CanaryRow, canary_id)
            return None if row is None else _canary(row)

    def latest_canary(self, repository_id: int | None, environment: str, app: str) -> Canary | None:
        """The newest canary of the app in the environment (active or not), of the
        repository (None: of any)."""
        query = select(CanaryRow).where(CanaryRow.environment == environment, CanaryRow.app == app)
        if repository_id is not None:
            query = query.where(CanaryRow.repository_id == repository_id)
        with self._read() as session:
            row = session.scalar(
                query.order_by(CanaryRow.started_at.desc(), CanaryRow.id.desc()).limit(1)
            )
            return None if row is None else _canary(row)

    def command_canary(self, canary_id: int, command: str, by: str, reason: str = "") -> bool:
        """Leave ``command`` for the process running the canary; False when the canary
        is not active any more."""
        if command not in COMMANDS:
            raise ValueError(f"unknown canary command {command!r}")
        with self._write.begin() as session:
            done = session.execute(
                update(CanaryRow)
                .where(CanaryRow.id == canary_id, CanaryRow.status.in_(ACTIVE))
                .values(
                    command=command,
                    command_by=by,
                    command_reason=self._mask(reason),
                    updated_at=time.time(),
                )
            )
        return bool(getattr(done, "rowcount", 0))

    def take_command(self, canary_id: int) -> tuple[str, str, str] | None:
        """The command left for the canary (command, by whom, why), cleared; ``("ended",
        "", message)`` when another process ended the canary (an abort done by
        ``conveyor canary abort`` because its deploy step seemed gone)."""
        with self._write.begin() as session:
            row = session.get(CanaryRow, canary_id)
            if row is not None and row.status not in ACTIVE:
                return ("ended", "", row.message)
            if row is None or row.command is None:
                return None
            taken = (row.command, row.command_by, row.command_reason)
            row.command = None
            return taken
