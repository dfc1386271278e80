"""The dispatching process hands a job's secrets to its worker over HTTP, never the broker.

Each job attempt gets a random token (in its Celery envelope) naming what it may read:
the run's secrets its bindings refer to. A worker ``POST``\\ s ``/secrets`` with
``Authorization: Bearer <token>``; the token works once, and is forgotten when the job
ends. So the broker (and Redis) only ever carry a token that is useless after the worker
used it, and no secret value. Bound to loopback by default (``CONVEYOR_SECRETS_HOST`` for
workers on other machines, behind a network that only they reach).
"""

from __future__ import annotations

import hmac
import json
import secrets
import threading
from collections.abc import Iterable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_BODY = 1 << 16


class SecretServer:
    """Serves ``values`` by one-time, per-job tokens."""

    def __init__(self, values: Mapping[str, str], host: str = "127.0.0.1") -> None:
        self._values = dict(values)
        self._grants: dict[str, frozenset[str]] = {}
        self._lock = threading.Lock()
        server = ThreadingHTTPServer((host, 0), _handler_for(self))
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.5}, daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def grant(self, names: Iterable[str]) -> str:
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._grants[token] = frozenset(names)
        return token

    def revoke(self, token: str) -> None:
        with self._lock:
            self._grants.pop(token, None)

    def take(self, token: str) -> dict[str, str] | None:
        """The granted values, once; None for an unknown (or used) token."""
        with self._lock:
            found = next((t for t in self._grants if hmac.compare_digest(t, token)), None)
            if found is None:
                return None
            names = self._grants.pop(found)
        return {name: self._values[name] for name in names if name in self._values}

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _handler_for(owner: SecretServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            if self.path != "/secrets":
                self._answer(404, {"error": "not found"})
                return
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                self._answer(413, {"error": "body too large"})
                return
            self.rfile.read(length)
            auth = self.headers.get("Authorization", "")
            token = auth.removeprefix("Bearer ").strip() if auth.startswith("Bearer ") else ""
            values = owner.take(token) if token else None
            if values is None:
                self._answer(401, {"error": "unknown, used or missing token"})
                return
            self._answer(200, {"secrets": values})

        def _answer(self, status: int, body: object) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            return None

    return Handler
