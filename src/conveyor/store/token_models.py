"""The API's tokens (revision 0012), on the store's declarative ``Base``.

``api_tokens``: one row per token ``conveyor tokens create`` made: whose it is (the
user the API acts as, e.g. the reviewer of an approval), its scope (read, write or
reviewer), the SHA-256 of the token (never the token itself), a short prefix to tell
tokens apart in listings, and when it was made, last used and revoked.
"""

from __future__ import annotations

from sqlalchemy import Double, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from conveyor.store.models import Base, BigId


class ApiTokenRow(Base):
    __tablename__ = "api_tokens"
    __table_args__ = (UniqueConstraint("token_hash", name="uq_api_tokens_hash"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    user: Mapped[str] = mapped_column(String(255), nullable=False)
    scope: Mapped[str] = mapped_column(String(16), nullable=False)  # read / write / reviewer
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False)  # sha256 hex
    prefix: Mapped[str] = mapped_column(String(16), nullable=False)  # shown in listings
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_at: Mapped[float] = mapped_column(Double, nullable=False)
    last_used_at: Mapped[float | None] = mapped_column(Double)
    revoked_at: Mapped[float | None] = mapped_column(Double)
