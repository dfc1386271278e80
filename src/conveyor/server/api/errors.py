"""The one place the API turns conveyor's errors into HTTP answers.

Every route raises the project's own errors (:mod:`conveyor.errors`); this maps them:
``Unauthenticated`` 401 (with ``WWW-Authenticate: Bearer``), ``Forbidden`` 403,
``NotFound`` 404, ``Conflict`` 409, ``TooLarge`` 413, ``DatabaseError`` and ``Unavailable`` 503, any
other ``UserError`` 400, any other ``ConveyorError`` 500. The body is ``{"detail":
message, "error": class name}``. Request validation (FastAPI's) stays 422 with its own
body. The webhooks keep their own answers (:mod:`conveyor.server.webhooks`).
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from conveyor.errors import (
    Conflict,
    ConveyorError,
    DatabaseError,
    Forbidden,
    NotFound,
    TooLarge,
    Unauthenticated,
    Unavailable,
    UserError,
)

STATUS: tuple[tuple[type[ConveyorError], int], ...] = (
    (Unauthenticated, 401),
    (Forbidden, 403),
    (NotFound, 404),
    (TooLarge, 413),
    (Conflict, 409),
    (DatabaseError, 503),
    (Unavailable, 503),
    (UserError, 400),
    (ConveyorError, 500),
)


def status_of(error: ConveyorError) -> int:
    return next(code for kind, code in STATUS if isinstance(error, kind))


async def _answer(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ConveyorError)
    code = status_of(exc)
    headers = {"WWW-Authenticate": "Bearer"} if code == 401 else None
    body = {"detail": str(exc), "error": type(exc).__name__}
    return JSONResponse(body, status_code=code, headers=headers)


def install(app: FastAPI) -> None:
    app.add_exception_handler(ConveyorError, _answer)
