"""The canary tables (revision 0010), on the store's declarative ``Base``.

``canaries``: one canary release of an app in an environment -- its deployment, the
stable and canary versions, where it is in its plan (step, weight), its status
(``running``, ``paused``, ``promoted``, ``aborted``, ``failed``), a command left for it
by another process (``abort``, ``promote``, ``promote-full``) and, when it was aborted,
the verdict that did it. ``canary_results``: every analysis result so far (metric,
interval, verdict, the values of both versions, the test's p-value and effect size).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Double, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from conveyor.store.models import Base, BigId, Json, repository_fk


class CanaryRow(Base):
    __tablename__ = "canaries"
    __table_args__ = (
        Index("ix_canaries_target", "repository_id", "environment", "app", "started_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    repository_id: Mapped[int] = mapped_column(BigId, repository_fk(), nullable=False)
    app: Mapped[str] = mapped_column(String(255), nullable=False)
    environment: Mapped[str] = mapped_column(String(255), nullable=False)
    deployment_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("deployments.id", ondelete="SET NULL")
    )
    run_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("runs.id", ondelete="SET NULL"))
    job_key: Mapped[str] = mapped_column(String(1024), nullable=False, default="")
    stable_version: Mapped[str] = mapped_column(String(255), nullable=False)
    stable_ref: Mapped[str] = mapped_column(String(255), nullable=False)  # provider's id
    canary_version: Mapped[str] = mapped_column(String(255), nullable=False)
    canary_ref: Mapped[str] = mapped_column(String(255), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    plan: Mapped[list[dict[str, Any]]] = mapped_column(Json, nullable=False, default=list)
    step: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    weight: Mapped[float] = mapped_column(Double, nullable=False, default=0.0)
    message: Mapped[str] = mapped_column(Text, nullable=False, default="")  # why it waits
    paused_until: Mapped[float | None] = mapped_column(Double)  # None: until promoted
    command: Mapped[str | None] = mapped_column(String(16))
    command_by: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    command_reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    verdict: Mapped[dict[str, Any]] = mapped_column(Json, nullable=False, default=dict)
    owner_pid: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    owner_host: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    started_at: Mapped[float] = mapped_column(Double, nullable=False)
    updated_at: Mapped[float] = mapped_column(Double, nullable=False)
    ended_at: Mapped[float | None] = mapped_column(Double)


class CanaryResultRow(Base):
    __tablename__ = "canary_results"
    __table_args__ = (Index("ix_canary_results_canary", "canary_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    canary_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("canaries.id", ondelete="CASCADE"), nullable=False
    )
    step: Mapped[int] = mapped_column(Integer, nullable=False)
    interval: Mapped[int] = mapped_column(Integer, nullable=False)
    metric: Mapped[str] = mapped_column(String(255), nullable=False)
    verdict: Mapped[str] = mapped_column(String(16), nullable=False)  # pass/fail/inconclusive
    canary_value: Mapped[float | None] = mapped_column(Double)
    stable_value: Mapped[float | None] = mapped_column(Double)
    p_value: Mapped[float | None] = mapped_column(Double)
    effect: Mapped[float | None] = mapped_column(Double)
    detail: Mapped[str] = mapped_column(Text, nullable=False, default="")
    at: Mapped[float] = mapped_column(Double, nullable=False)
