"""The server's tables (revision 0011), on the store's declarative ``Base``.

``server_repositories``: a repository ``conveyor serve`` takes webhooks for (its name,
the git URL it mirrors, the *names* of the environment variables holding its webhook
secret and its API token -- never the values). ``webhook_deliveries``: every accepted
``X-GitHub-Delivery`` once (the unique key is what makes a redelivery, even a
concurrent one, start no second run), its event and payload, and what became of it
(``queued`` → ``started`` with its runs, ``ignored`` or ``failed`` with a reason).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Double, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from conveyor.store.models import Base, BigId, Json


class ServerRepositoryRow(Base):
    __tablename__ = "server_repositories"
    __table_args__ = (UniqueConstraint("name", name="uq_server_repositories_name"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    url: Mapped[str] = mapped_column(String(2048), nullable=False)
    webhook_secret_env: Mapped[str | None] = mapped_column(String(255))
    token_env: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[float] = mapped_column(Double, nullable=False)


class WebhookDeliveryRow(Base):
    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("delivery_id", name="uq_webhook_deliveries_delivery"),
        Index("ix_webhook_deliveries_status", "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    delivery_id: Mapped[str] = mapped_column(String(255), nullable=False)
    repository: Mapped[str] = mapped_column(String(255), nullable=False)  # server name
    event: Mapped[str] = mapped_column(String(64), nullable=False)
    action: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    payload: Mapped[dict[str, Any]] = mapped_column(Json, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)  # queued/started/...
    run_ids: Mapped[list[int]] = mapped_column(Json, nullable=False, default=list)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    received_at: Mapped[float] = mapped_column(Double, nullable=False)
    handled_at: Mapped[float | None] = mapped_column(Double)
