"""The API's tokens: made once, kept only as a hash, looked up by it, revoked.

A token is ``cvy_`` and 32 random bytes (``secrets.token_urlsafe``): 256 bits nobody can
guess, so the database keeps its plain SHA-256 and finds it by that (one indexed
lookup per request). A slow password hash (argon2, bcrypt) defends low-entropy secrets
against guessing; it adds nothing for a random 256-bit token and would cost every API
call tens of milliseconds. The token is printed once by ``conveyor tokens create`` and
never stored or logged.

Scopes are ordered: ``read`` < ``write`` (dispatch, cancel, re-run, quarantine) <
``reviewer`` (approvals, rollbacks); a token may do what its scope and every lower one
may.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from conveyor.errors import NotFound, UsageError
from conveyor.store.token_models import ApiTokenRow

SCOPES = ("read", "write", "reviewer")
TOKEN_PREFIX = "cvy_"
_SHOWN = 8  # characters after the prefix kept to tell tokens apart
_TOUCH_EVERY = 60.0  # seconds between updates of last_used_at


@dataclass(frozen=True, slots=True)
class ApiToken:
    id: int
    user: str
    scope: str
    prefix: str  # cvy_ and the first characters, to recognise a token in a listing
    note: str
    created_at: float
    last_used_at: float | None
    revoked_at: float | None

    def allows(self, needed: str) -> bool:
        """The token's scope is ``needed`` or above it."""
        return SCOPES.index(self.scope) >= SCOPES.index(needed)


def check_scope(scope: str) -> str:
    if scope not in SCOPES:
        raise UsageError(f"--scope {scope}: not a scope; one of: {', '.join(SCOPES)}")
    return scope


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _token(row: ApiTokenRow) -> ApiToken:
    return ApiToken(
        int(row.id), row.user, row.scope, row.prefix, row.note,
        float(row.created_at), row.last_used_at, row.revoked_at,
    )  # fmt: skip


def create(writer: Engine, user: str, scope: str, note: str = "") -> tuple[ApiToken, str]:
    """A new token for ``user`` with ``scope``: its record and the token itself (to be
    shown once; only its hash is kept)."""
    check_scope(scope)
    if not user.strip():
        raise UsageError("--user: the token's user may not be empty")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    values = {
        "user": user.strip(),
        "scope": scope,
        "token_hash": digest(token),
        "prefix": token[: len(TOKEN_PREFIX) + _SHOWN],
        "note": note,
        "created_at": time.time(),
    }
    with Session(writer) as session, session.begin():
        row = ApiTokenRow(**values)
        session.add(row)
        session.flush()
        return _token(row), token


def listing(engine: Engine, *, revoked: bool = False) -> list[ApiToken]:
    """Every token (the revoked ones too, with ``revoked``), oldest first."""
    query = select(ApiTokenRow).order_by(ApiTokenRow.id)
    if not revoked:
        query = query.where(ApiTokenRow.revoked_at.is_(None))
    with Session(engine) as session:
        return [_token(row) for row in session.scalars(query)]


def revoke(writer: Engine, spec: str) -> ApiToken:
    """Revoke the token with id ``spec`` (or whose prefix is ``spec``); it stops working at
    once."""
    text = spec.strip()
    with Session(writer) as session, session.begin():
        query = select(ApiTokenRow).where(ApiTokenRow.revoked_at.is_(None))
        if text.isdigit():
            query = query.where(ApiTokenRow.id == int(text))
        elif text.startswith(TOKEN_PREFIX) and len(text) >= len(TOKEN_PREFIX) + 4:
            query = query.where(ApiTokenRow.prefix.startswith(text[: len(TOKEN_PREFIX) + _SHOWN]))
        else:
            raise UsageError(
                f"{spec!r}: give a token's id or its cvy_ prefix (conveyor tokens list)"
            )
        found = list(session.scalars(query))
        if len(found) != 1:
            what = "no active token" if not found else f"{len(found)} tokens"
            raise NotFound(f"{what} match {spec!r}; see `conveyor tokens list`")
        row = found[0]
        row.revoked_at = time.time()
        session.flush()
        return _token(row)


def authenticate(engine: Engine, writer: Engine, token: str) -> ApiToken | None:
    """The active token ``token`` is; None when it is unknown or revoked. Notes when it
    was used (at most once a minute, so reads stay reads)."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    wanted = digest(token)
    with Session(engine) as session:
        row = session.scalars(
            select(ApiTokenRow).where(
                ApiTokenRow.token_hash == wanted, ApiTokenRow.revoked_at.is_(None)
            )
        ).first()
        if row is None or not secrets.compare_digest(row.token_hash, wanted):
            return None
        found = _token(row)
    now = time.time()
    if found.last_used_at is None or now - found.last_used_at > _TOUCH_EVERY:
        with writer.begin() as connection:
            connection.execute(
                update(ApiTokenRow).where(ApiTokenRow.id == found.id).values(last_used_at=now)
            )
    return found
