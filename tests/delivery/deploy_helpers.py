"""A tiny HTTP app to publish and deploy with the process provider, and a webhook
receiver to see the notifications."""

from __future__ import annotations

import http.server
import json
import sys
import textwrap
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

APP = """
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HERE = Path(__file__).resolve().parent


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        version = (HERE / "VERSION").read_text().strip()
        if self.path == "/healthz":
            status, body = 200, "ok"
        elif self.path in ("/", "/version"):
            status, body = 200, version
        elif self.path == "/broken" and (HERE / "BROKEN").exists():
            status, body = 500, "broken " + version
        elif self.path == "/broken":
            status, body = 200, "fine " + version
        else:
            status, body = 404, "no such page"
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
"""


def app_config(extra: str = "") -> str:
    """conveyor.toml: dev, staging and production, and the app ``web`` run by this
    Python from its files."""
    return textwrap.dedent(
        f"""
        [environments.dev]

        [environments.staging]

        [environments.production]
        {extra}

        [apps.web]
        provider = "process"
        command = "{sys.executable} app.py"
        health = "/healthz"
        drain-timeout = "5s"
        stop-timeout = "5s"
        """
    )


def write_app(folder: Path, version: str, *, broken: bool = False) -> Path:
    """The app's files in ``folder``, answering ``version``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "app.py").write_text(textwrap.dedent(APP).lstrip())
    (folder / "VERSION").write_text(version + "\n")
    marker = folder / "BROKEN"
    if broken:
        marker.write_text("yes\n")
    elif marker.exists():
        marker.unlink()
    return folder


def get(url: str, path: str = "/") -> str:
    return httpx.get(url.rstrip("/") + path, timeout=10).text


class Webhook:
    """A real HTTP server that keeps the JSON bodies posted to it."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                owner.received.append(json.loads(self.rfile.read(length)))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    @contextmanager
    def running(self) -> Iterator[Webhook]:
        thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.server.shutdown()
            self.server.server_close()
