"""What every API route needs: the history database (opened once per app) and the
caller's token, checked against the scope the route needs.

``Authorization: Bearer <token>``; no token or an unknown or revoked one is a 401, a
token whose scope is below the route's a 403 (:mod:`conveyor.server.api.errors` maps
the errors). The token's user is who the API acts as (e.g. the reviewer of an approval).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from conveyor.errors import Forbidden, NotFound, TooLarge, Unauthenticated
from conveyor.server.config import ServerConfig
from conveyor.store.recorder import SqlRunStore
from conveyor.store.tokens import ApiToken, authenticate

_OPEN_LOCK = threading.Lock()
_bearer = HTTPBearer(auto_error=False, description="A token from `conveyor tokens create`.")


MAX_BODY_BYTES = 1024 * 1024  # an API body is a few fields; more is a mistake or an attack


async def limited_body(request: Request) -> None:
    """Refuse a body over :data:`MAX_BODY_BYTES` (413), declared or streamed."""
    declared = request.headers.get("content-length", "")
    size = int(declared) if declared.isdigit() else None
    if size is None and request.method in ("POST", "PUT", "PATCH"):
        size = len(await request.body())
    if size is not None and size > MAX_BODY_BYTES:
        raise TooLarge(f"the body is {size} bytes; the API takes at most {MAX_BODY_BYTES}")


def server_config(request: Request) -> ServerConfig:
    config: ServerConfig = request.app.state.config
    return config


def history(request: Request) -> SqlRunStore:
    """The app's history database (opened on first use, closed by :func:`close_history`)."""
    state = request.app.state
    store: SqlRunStore | None = getattr(state, "api_store", None)
    if store is None:
        with _OPEN_LOCK:
            store = getattr(state, "api_store", None)
            if store is None:
                config: ServerConfig = state.config
                store = SqlRunStore(config.state_dir, config.database_url, recover=False)
                state.api_store = store
    return store


def close_history(state: Any) -> None:
    store: SqlRunStore | None = getattr(state, "api_store", None)
    if store is not None:
        state.api_store = None
        store.close()


History = Annotated[SqlRunStore, Depends(history)]


def _caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> ApiToken:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthenticated(
            "no token: send 'Authorization: Bearer <token>' (make one with "
            "`conveyor tokens create --user NAME --scope read|write|reviewer`)"
        )
    store = history(request)
    found = authenticate(store.engine, store.writer, credentials.credentials)
    if found is None:
        raise Unauthenticated(
            "the token is unknown or revoked; make a new one with `conveyor tokens create`"
        )
    return found


def needs(scope: str) -> Callable[..., ApiToken]:
    """A dependency: the caller's token, which must have ``scope`` (or a higher one)."""

    def check(token: Annotated[ApiToken, Depends(_caller)]) -> ApiToken:
        if not token.allows(scope):
            raise Forbidden(
                f"this needs a {scope} token; {token.prefix}… (user {token.user}) is "
                f"{token.scope}: ask for one with `conveyor tokens create --scope {scope}`"
            )
        return token

    return check


Reader = Annotated[ApiToken, Depends(needs("read"))]
Writer = Annotated[ApiToken, Depends(needs("write"))]
Reviewer = Annotated[ApiToken, Depends(needs("reviewer"))]


def repository_filter(store: SqlRunStore, repository: str | None) -> int | None:
    """The history id of ``repository``: a name the server registered it under
    (``conveyor repos add NAME``), or its history name or key; None: every repository.
    A registered repository with no runs yet matches nothing (id 0); an unknown name is
    a 404 naming the known ones."""
    if not repository:
        return None
    from sqlalchemy import select

    from conveyor.git.identity import key_from_url
    from conveyor.store.repositories import find_repository, list_repositories
    from conveyor.store.server_models import ServerRepositoryRow

    with store.engine.connect() as connection:
        known = list_repositories(connection)
        for info in known:
            if repository in (info.name, info.key):
                return info.id
        url = connection.execute(
            select(ServerRepositoryRow.url).where(ServerRepositoryRow.name == repository)
        ).scalar()
        if url is not None:
            return find_repository(connection, key_from_url(str(url), Path.cwd())) or 0
        served = list(connection.execute(select(ServerRepositoryRow.name)).scalars())
    names = ", ".join(sorted({*served, *(info.name for info in known)})) or "none yet"
    raise NotFound(f"no repository {repository!r}; known: {names}")
