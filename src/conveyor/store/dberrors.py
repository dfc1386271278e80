"""Database failures as one line a user can act on: the URL with its password hidden,
what went wrong, and what to do.

Every engine conveyor creates translates connection failures and errors of the database
itself (server down, missing database, bad password, disk full, not a database file) into
:class:`conveyor.errors.DatabaseError` (exit 2) through SQLAlchemy's ``handle_error``
hook, and every driver connection of :mod:`conveyor.store.dbapi` the same way (SQLAlchemy
is imported only when needed). Integrity and programming errors are left alone: those
are conveyor's to handle (a claimed schedule slot) or bugs.
"""

from __future__ import annotations

import re
from typing import Any

from conveyor.errors import DatabaseError
from conveyor.store.paths import DATABASE_URL_ENV

_PASSWORD = re.compile(r"^(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^:/@]*):(?P<password>.*)@")


def url_password(url: str) -> str:
    """The password in ``url`` ('' when there is none); works on URLs that don't parse."""
    match = _PASSWORD.match(url.strip())
    return match.group("password") if match else ""


def hide_password(url: str) -> str:
    """``url`` with its password replaced by ``***``, even when it does not parse."""
    return _PASSWORD.sub(lambda m: f"{m.group('head')}:***@", url.strip(), count=1)


def _reason(exc: BaseException, url: str) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    first = lines[0] if lines else type(exc).__name__
    first = re.sub(r"^\(\S+\)\s*", "", first)  # SQLAlchemy's "(module.Class)" prefix
    password = url_password(url)
    return first.replace(password, "***") if password else first


def _database_name(url: str) -> str:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).database or "NAME"
    except (ArgumentError, ValueError):
        return "NAME"


def _advice(reason: str, backend: str, url: str) -> str:
    lowered = reason.lower()
    if "does not exist" in lowered and "database" in lowered:
        return (
            f"create it (`createdb {_database_name(url)}`) or point {DATABASE_URL_ENV} at an "
            "existing database"
        )
    if "password authentication failed" in lowered or "authentication" in lowered:
        return f"fix the user name or password in {DATABASE_URL_ENV}"
    if "locked" in lowered:
        return "another conveyor process held the database too long; try again"
    if backend == "sqlite":
        return "check that the state directory is writable and the file is conveyor's database"
    if "connection" in lowered or "could not translate host" in lowered or "timeout" in lowered:
        return f"start the database server or point {DATABASE_URL_ENV} at a running one"
    return "check the database server and try again"


def database_failure(exc: BaseException, url: str, backend: str) -> DatabaseError:
    reason = _reason(exc, url)
    return DatabaseError(
        f"history database {hide_password(url)}: {reason}; {_advice(reason, backend, url)}"
    )


def _hide_unparsed(url: str) -> str:
    """A URL that does not parse with everything that may be a password hidden: the text
    after the user name up to the last ``@``, or with no ``@`` (``scheme://user:pw``,
    a host left out) the text after the first ``:`` of the authority."""
    scheme, sep, rest = url.strip().partition("://")
    if not sep:
        scheme, rest = "", scheme
    if "@" in rest:
        userinfo, _at, host = rest.rpartition("@")
        user, colon, _password = userinfo.partition(":")
        return f"{scheme}{sep}{user}{':***' if colon else ''}@{host}"
    authority, slash, path = rest.partition("/")
    host, colon, _maybe_password = authority.partition(":")
    return f"{scheme}{sep}{host}{':***' if colon else ''}{slash}{path}"


def invalid_url(url: str) -> DatabaseError:
    return DatabaseError(
        f"invalid database URL {_hide_unparsed(url)} (check {DATABASE_URL_ENV}): "
        "expected e.g. postgresql://USER:PASSWORD@HOST:5432/DATABASE or sqlite:///PATH"
    )


def translate(context: Any, url: str) -> None:
    """SQLAlchemy ``handle_error`` hook: raise :class:`DatabaseError` for failures of the
    database itself; anything else (and connection checks while pinging) passes through."""
    from sqlalchemy import exc as sa_exc

    if context.is_pre_ping:
        return
    error = context.sqlalchemy_exception
    translated = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.InternalError)
    if not isinstance(error, translated) and type(error) is not sa_exc.DatabaseError:
        return
    raise database_failure(error, url, context.dialect.name) from error
