"""A real local HTTP server that receives notifications (shared by the reporting and e2e
tests)."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Receiver:
    """A local HTTP server that records JSON bodies and answers with scripted statuses."""

    url: str
    bodies: list[Any] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)  # the bodies as they came
    statuses: list[int] = field(default_factory=list)  # consumed per request; then 200
    always: int | None = None


@contextlib.contextmanager
def serve_receiver() -> Iterator[Receiver]:
    """A :class:`Receiver` listening on 127.0.0.1 until the block ends."""
    state = Receiver("")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            state.raw.append(body)
            state.bodies.append(json.loads(body))
            code = state.always or (state.statuses.pop(0) if state.statuses else 200)
            self.send_response(code)
            self.end_headers()
            self.wfile.write(b"ok" if code == 200 else b"boom")

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
