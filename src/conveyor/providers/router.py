"""conveyor's router: the live alias of one app in one environment.

A long-lived process (``python -m conveyor.providers.router HOME``, started on demand by
the process provider; HOME is the app/environment directory of
:mod:`conveyor.providers.routing`). It listens on the app's port and forwards every
request to the live version, streaming bodies both ways over kept-alive connections
(aiohttp's server and client). A second listener on 127.0.0.1, with a random port and
a token written to ``router.json``, takes the provider's commands:

- ``POST /reload``: read ``routing.json`` again; new requests go to the live version
  it names at once, requests in flight finish where they started;
- ``POST /drain`` ``{"version": ID, "timeout": S}``: wait until no request is in flight
  on that version, then forget it (answers whether it drained);
- ``GET /status``: the live version, the canary and its weight, and the requests in
  flight per version;
- ``GET /metrics?start=T&end=T&buckets=N&versions=A,B``: per version, the requests that
  ended in that window in N buckets: count, errors (5xx or no answer) and latencies
  (:mod:`conveyor.providers.traffic`).

With a canary in ``routing.json`` (``canary``: version, weight, optional pinning header
or cookie), that share of new requests goes to the canary version instead of the live
one: at random, or by the hash of the pinning header's or cookie's value when the
request carries it (so a client stays on one version).

SIGTERM stops it: it stops listening, lets requests in flight finish (up to 30 s) and
removes ``router.json``.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import random
import secrets
import signal
import sys
import time
import zlib
from pathlib import Path
from typing import Any

from aiohttp import ClientError, ClientSession, ClientTimeout, DummyCookieJar, TCPConnector, web
from multidict import CIMultiDict

from conveyor.providers.pids import identity
from conveyor.providers.routing import Home, RouterInfo
from conveyor.providers.traffic import Traffic, buckets

TOKEN_HEADER = "X-Conveyor-Token"
SHUTDOWN_SECONDS = 30.0
BUFFERED_BYTES = 64 * 1024  # answers of a known length up to this are passed on whole
# Hop-by-hop headers (RFC 9110 section 7.6.1) are the connection's, not the message's.
_HOP = frozenset(
    {
        "connection",
        "expect",  # each hop answers 100-continue itself
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
_AUTO = ("User-Agent", "Accept", "Accept-Encoding")  # aiohttp's client adds these


class Upstream:
    """One version's process, with its own pool of kept-alive connections."""

    def __init__(self, version: str, host: str, port: int) -> None:
        self.version = version
        self.port = port
        self.base = f"http://{host}:{port}"
        self.session = ClientSession(
            connector=TCPConnector(limit=0, keepalive_timeout=15.0),
            cookie_jar=DummyCookieJar(),
            auto_decompress=False,
            skip_auto_headers=_AUTO,
            timeout=ClientTimeout(total=None, sock_connect=10.0),
        )
        self.inflight = 0
        self.idle = asyncio.Event()
        self.idle.set()

    def enter(self) -> None:
        self.inflight += 1
        self.idle.clear()

    def leave(self) -> None:
        self.inflight -= 1
        if self.inflight == 0:
            self.idle.set()


class Router:
    def __init__(self, home: Home) -> None:
        self.home = home
        self.live: Upstream | None = None
        self.canary: Upstream | None = None
        self.weight = 0.0  # percent of new requests to the canary
        self.pin_header: str | None = None
        self.pin_cookie: str | None = None
        self.upstreams: dict[str, Upstream] = {}
        self.traffic: dict[str, Traffic] = {}
        self.closing: set[asyncio.Task[None]] = set()

    # -- routing -------------------------------------------------------------------

    def reload(self) -> str | None:
        """Read ``routing.json``; from now on new requests go to its live version."""
        routing = self.home.read()
        record = routing.versions.get(routing.live) if routing.live else None
        if record is None or record.port <= 0:
            self.live = None
            self.canary = None
            return None
        self.live = self._upstream(record.id, record.port)
        split = routing.canary
        other = routing.versions.get(split.version) if split is not None else None
        if split is None or other is None or other.port <= 0 or other.id == record.id:
            self.canary, self.weight = None, 0.0
        else:
            self.canary = self._upstream(other.id, other.port)
            self.weight = max(0.0, min(100.0, split.weight))
            self.pin_header, self.pin_cookie = split.header, split.cookie
        for version, upstream in list(self.upstreams.items()):
            if version not in routing.versions:
                del self.upstreams[version]
                self._close_when_idle(upstream)
        for version in list(self.traffic):
            if version not in routing.versions:  # discarded: nobody asks about it any more
                del self.traffic[version]
        return record.id

    def _upstream(self, version: str, port: int) -> Upstream:
        current = self.upstreams.get(version)
        if current is None or current.port != port:
            if current is not None:
                self._close_when_idle(current)
            current = Upstream(version, "127.0.0.1", port)
            self.upstreams[version] = current
        return current

    def _choose(self, request: web.Request, live: Upstream) -> Upstream:
        """The live version, or the canary for its share of the requests."""
        canary = self.canary
        if canary is None or self.weight <= 0:
            return live
        if self.weight >= 100:
            return canary
        pin = None
        if self.pin_header is not None:
            pin = request.headers.get(self.pin_header)
        if pin is None and self.pin_cookie is not None:
            pin = request.cookies.get(self.pin_cookie)
        share = zlib.crc32(pin.encode()) % 10000 / 100 if pin is not None else random.random() * 100
        return canary if share < self.weight else live

    def _close_when_idle(self, upstream: Upstream) -> None:
        async def close() -> None:
            await upstream.idle.wait()
            await upstream.session.close()

        task = asyncio.get_running_loop().create_task(close())
        self.closing.add(task)
        task.add_done_callback(self.closing.discard)

    async def drain(self, version: str, timeout: float) -> dict[str, Any]:
        upstream = self.upstreams.get(version)
        if upstream is None:
            return {"drained": True, "inflight": 0}
        if upstream is self.live or upstream is self.canary:
            return {"drained": False, "inflight": upstream.inflight, "live": True}
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(upstream.idle.wait(), timeout)
        drained = upstream.inflight == 0
        if self.upstreams.get(version) is upstream:
            del self.upstreams[version]
        self._close_when_idle(upstream)
        return {"drained": drained, "inflight": upstream.inflight}

    # -- the proxy -----------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.StreamResponse:
        live = self.live
        if live is None:
            return web.Response(
                status=503,
                text=f"{self.home.app} has no live version in {self.home.environment}\n",
            )
        upstream = self._choose(request, live)
        upstream.enter()  # counted before any await: a drain after a switch sees it
        began = time.perf_counter()
        status = 0
        try:
            response = await self._forward(upstream, request)
            status = response.status
            return response
        finally:
            upstream.leave()
            traffic = self.traffic.get(upstream.version)
            if traffic is None:
                traffic = self.traffic[upstream.version] = Traffic()
            traffic.add(time.time(), time.perf_counter() - began, status)

    async def _forward(self, upstream: Upstream, request: web.Request) -> web.StreamResponse:
        headers = [(k, v) for k, v in request.headers.items() if k.lower() not in _HOP]
        peer = request.remote or ""
        forwarded = request.headers.get("X-Forwarded-For")
        headers.append(("X-Forwarded-For", f"{forwarded}, {peer}" if forwarded else peer))
        headers.append(("X-Forwarded-Proto", request.scheme))
        body = request.content if request.body_exists else None
        response: web.StreamResponse | None = None
        try:
            async with upstream.session.request(
                request.method,
                upstream.base + request.rel_url.raw_path_qs,
                headers=headers,
                data=body,
                allow_redirects=False,
            ) as answer:
                length = answer.content_length
                if "chunked" in answer.headers.get("Transfer-Encoding", ""):
                    length = None
                headers = [
                    (key, value)
                    for key, value in answer.headers.items()
                    if key.lower() not in _HOP and key.lower() != "content-length"
                ]
                if length is not None and length <= BUFFERED_BYTES and request.method != "HEAD":
                    # small and of known length: one write instead of three
                    return web.Response(
                        status=answer.status,
                        reason=answer.reason,
                        body=await answer.read(),
                        headers=CIMultiDict(headers),
                    )
                response = web.StreamResponse(
                    status=answer.status, reason=answer.reason, headers=CIMultiDict(headers)
                )
                if length is not None:
                    response.content_length = length
                await response.prepare(request)
                async for chunk in answer.content.iter_any():
                    await response.write(chunk)
                await response.write_eof()
                return response
        except (ClientError, OSError) as exc:
            if response is not None and response.prepared:
                raise  # the answer has begun: all that can be done is to cut it short
            return web.Response(
                status=502,
                text=f"version {upstream.version} of {self.home.app} did not answer: {exc}\n",
            )

    # -- control -------------------------------------------------------------------

    def control_app(self, token: str) -> web.Application:
        @web.middleware
        async def authorised(request: web.Request, handler: Any) -> web.StreamResponse:
            if request.headers.get(TOKEN_HEADER) != token:
                return web.json_response({"error": "bad token"}, status=403)
            response: web.StreamResponse = await handler(request)
            return response

        async def status(_: web.Request) -> web.Response:
            return web.json_response(self.status())

        async def reload(_: web.Request) -> web.Response:
            live = self.reload()
            return web.json_response({"live": live})

        async def drain(request: web.Request) -> web.Response:
            asked = await request.json()
            result = await self.drain(str(asked["version"]), float(asked.get("timeout", 30)))
            return web.json_response(result)

        async def metrics(request: web.Request) -> web.Response:
            query = request.query
            end = float(query.get("end", time.time()))
            start = float(query.get("start", end - 60))
            count = int(query.get("buckets", "1"))
            wanted = [v for v in query.get("versions", "").split(",") if v] or list(self.traffic)
            found = {v: buckets(self.traffic.get(v), start, end, count) for v in wanted}
            return web.json_response({"start": start, "end": end, "versions": found})

        app = web.Application(middlewares=[authorised])
        app.router.add_get("/status", status)
        app.router.add_get("/metrics", metrics)
        app.router.add_post("/reload", reload)
        app.router.add_post("/drain", drain)
        return app

    def status(self) -> dict[str, Any]:
        return {
            "pid": os.getpid(),
            "live": self.live.version if self.live else None,
            "canary": self.canary.version if self.canary else None,
            "weight": self.weight if self.canary else 0.0,
            "inflight": {v: u.inflight for v, u in self.upstreams.items()},
        }


async def serve(home: Home) -> None:
    router = Router(home)
    router.reload()
    routing = home.read()
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)

    proxy_app = web.Application()
    proxy_app.router.add_route("*", "/{tail:.*}", router.handle)
    proxy = web.AppRunner(proxy_app, access_log=None)
    await proxy.setup()
    try:
        site = web.TCPSite(
            proxy, routing.host, routing.port, shutdown_timeout=SHUTDOWN_SECONDS, reuse_address=True
        )
        await site.start()
    except OSError as exc:
        print(f"router: cannot listen on {routing.host}:{routing.port}: {exc}", flush=True)
        await proxy.cleanup()
        raise SystemExit(2) from exc
    port = int(proxy.addresses[0][1])

    token = secrets.token_urlsafe(24)
    control = web.AppRunner(router.control_app(token), access_log=None)
    await control.setup()
    control_site = web.TCPSite(control, "127.0.0.1", 0, shutdown_timeout=1.0)
    await control_site.start()
    control_port = int(control.addresses[0][1])

    me = os.getpid()
    home.write_router(
        RouterInfo(
            pid=me,
            identity=identity(me) or "",
            host=routing.host,
            port=port,
            control_port=control_port,
            token=token,
        )
    )
    print(
        f"router: {home.app} in {home.environment} on http://{routing.host}:{port}, "
        f"live: {router.live.version if router.live else 'none'}",
        flush=True,
    )
    # what was made while starting stays: the collector's full passes get shorter
    gc.collect()
    gc.freeze()
    await stopping.wait()
    print("router: stopping", flush=True)
    info = home.router()
    if info is not None and info.pid == me:
        with contextlib.suppress(OSError):
            home.router_file.unlink()
    await control.cleanup()
    await proxy.cleanup()  # stops listening, lets requests in flight finish
    for upstream in router.upstreams.values():
        await upstream.session.close()


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m conveyor.providers.router HOME", file=sys.stderr)
        return 2
    root = Path(argv[0]).resolve()
    if not (root / "routing.json").is_file():
        print(f"router: no routing state in {root}", file=sys.stderr)
        return 2
    routing = Home(root, root.parent.name, root.name).read()
    asyncio.run(serve(Home(root, routing.app, routing.environment)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
