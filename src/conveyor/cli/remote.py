"""Talking to a ``conveyor serve`` (``--server URL`` or ``$CONVEYOR_SERVER``, with the
token in ``$CONVEYOR_TOKEN``) for the commands that make sense remotely: ``runs``,
``show``, ``logs [--follow]``, ``pending``, ``approve``, ``reject`` and ``dispatch``.

The server's error answers become conveyor's own errors again (401
``Unauthenticated``, 403 ``Forbidden``, 404 ``NotFound``, 409 ``Conflict``, other 4xx
``UserError``), so a remote command exits as the local one would, with the server's
message.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated, Any

import typer

from conveyor.errors import (
    Conflict,
    ConveyorError,
    Forbidden,
    NotFound,
    Unauthenticated,
    UserError,
)

if TYPE_CHECKING:
    import httpx

SERVER_ENV = "CONVEYOR_SERVER"
TOKEN_ENV = "CONVEYOR_TOKEN"
TIMEOUT_SECONDS = 30.0

ServerOption = Annotated[
    str | None,
    typer.Option(
        "--server",
        envvar=SERVER_ENV,
        help="Ask this conveyor server (URL) instead of the local history; the token is "
        f"${TOKEN_ENV}.",
        show_envvar=False,
    ),
]

_ERRORS: dict[int, type[UserError]] = {
    401: Unauthenticated,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
}


class Remote:
    """An HTTP client of one server's API (httpx), closed with the ``with`` block."""

    def __init__(self, url: str, token: str | None = None) -> None:
        import httpx

        self.url = url.rstrip("/")
        token = token if token is not None else os.environ.get(TOKEN_ENV, "")
        if not token:
            raise UserError(
                f"--server {self.url}: set ${TOKEN_ENV} to a token (`conveyor tokens create` "
                "on the server)"
            )
        self._client = httpx.Client(
            base_url=self.url,
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            timeout=TIMEOUT_SECONDS,
        )

    def __enter__(self) -> Remote:
        return self

    def __exit__(self, *_: object) -> None:
        self._client.close()

    def get(self, path: str, **params: Any) -> Any:
        return self._call("GET", path, params=_clean(params))

    def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        return self._call("POST", path, json=body or {})

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        import httpx

        try:
            answer = self._client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise self._unreachable(exc) from exc
        check(answer, self.url)
        return answer.json()

    def _unreachable(self, exc: Exception) -> UserError:
        return UserError(
            f"cannot reach the conveyor server {self.url}: {exc}; check --server / "
            f"${SERVER_ENV} and that `conveyor serve` runs there"
        )

    def events(self, path: str, last_id: int = 0, **params: Any) -> Iterator[tuple[str, str, str]]:
        """Server-sent events from ``path``: (event, id, data) until the server ends the
        stream; a dropped connection is resumed from the last id (``Last-Event-ID``)."""
        import httpx

        retries = 0
        while True:
            headers = {"Accept": "text/event-stream"}
            if last_id:
                headers["Last-Event-ID"] = str(last_id)
            try:
                with self._client.stream(
                    "GET", path, params=_clean(params), headers=headers, timeout=None
                ) as answer:
                    if answer.status_code >= 400:
                        answer.read()
                        check(answer, self.url)
                    event, ident = "message", ""
                    data: list[str] = []
                    for raw in answer.iter_lines():
                        if raw == "":
                            if data or event != "message":
                                yield event, ident, "\n".join(data)
                                if ident.isdigit():
                                    last_id = int(ident)
                                if event == "end":
                                    return
                            event, ident, data = "message", "", []
                            continue
                        name, _, value = raw.partition(":")
                        value = value.removeprefix(" ")
                        if name == "event":
                            event = value
                        elif name == "id":
                            ident = value
                        elif name == "data":
                            data.append(value)
                retries = 0
            except httpx.HTTPError as exc:
                retries += 1
                if retries > 5:
                    raise self._unreachable(exc) from exc


def check(answer: httpx.Response, url: str) -> None:
    """Raise the server's error answer as conveyor's own error."""
    if answer.status_code < 400:
        return
    try:
        detail = answer.json().get("detail")
    except (ValueError, AttributeError):
        detail = None
    if not isinstance(detail, str):
        detail = json.dumps(detail) if detail is not None else answer.text[:500]
    kind = _ERRORS.get(answer.status_code)
    if kind is not None:
        raise kind(detail)
    if answer.status_code < 500:
        raise UserError(f"{url}: {detail}")
    raise ConveyorError(f"the conveyor server {url} failed ({answer.status_code}): {detail}")


def _clean(params: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in params.items() if v is not None}
