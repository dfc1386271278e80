"""The ``static`` provider's local server: TEST and APP of one app in one environment.

A long-lived process (``python -m conveyor.providers.static_server HOME``, started on
demand by the provider; HOME is a :class:`~conveyor.providers.sites.SiteHome`
directory) with two aiohttp listeners: APP (``app_port``) serves the version
``site.json`` names ``live``, TEST (``test_port``) the one it names ``test``, both from
``versions/<version>/``. ``site.json`` is read again whenever it changed (a stat per
request), so a switch takes effect on the next request. A directory answers its
``index.html``; with ``spa``, a missing path without a suffix answers the root's index
(client-side routes). Every answer says which version served it
(``X-Conveyor-Version``); the index is ``Cache-Control: no-cache``.

SIGTERM stops it (it removes ``server.json``).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web

from conveyor.providers.pids import identity
from conveyor.providers.sites import ServerInfo, SiteHome, SiteState

VERSION_HEADER = "X-Conveyor-Version"


class Sites:
    def __init__(self, home: SiteHome) -> None:
        self.home = home
        self.seen: tuple[int, int] = (0, 0)
        self.state = home.read()

    def current(self) -> SiteState:
        try:
            found = self.home.state_file.stat()
        except FileNotFoundError:
            return self.state
        key = (found.st_ino, found.st_mtime_ns)
        if key != self.seen:
            self.state, self.seen = self.home.read(), key
        return self.state

    def handler(self, role: str) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def serve(request: web.Request) -> web.StreamResponse:
            state = self.current()
            version = state.live if role == "app" else state.test
            if version is None:
                return web.Response(
                    status=503,
                    text=f"{self.home.app} has no {role.upper()} version in "
                    f"{self.home.environment}\n",
                )
            base = self.home.version_dir(version).resolve()
            found = _resolve(base, request.match_info["tail"], state)
            if found is None:
                return web.Response(
                    status=404, text="not found\n", headers={VERSION_HEADER: version}
                )
            headers = {VERSION_HEADER: version}
            if found.name == state.index:
                headers["Cache-Control"] = "no-cache"
            return web.FileResponse(found, headers=headers)

        return serve


def _resolve(base: Path, tail: str, state: SiteState) -> Path | None:
    """The file ``tail`` names under ``base`` (never outside it), its directory's index,
    or with ``spa`` the root's index for a missing path without a suffix."""
    path = (base / tail).resolve()
    if not path.is_relative_to(base):
        return None
    if path.is_dir():
        path = path / state.index
    if path.is_file():
        return path
    if state.spa and "." not in tail.rsplit("/", 1)[-1]:
        index = base / state.index
        return index if index.is_file() else None
    return None


async def serve(home: SiteHome) -> None:
    sites = Sites(home)
    state = sites.current()
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    runners: list[web.AppRunner] = []
    ports: dict[str, int] = {}
    for role, port in (("app", state.app_port), ("test", state.test_port)):
        app = web.Application()
        app.router.add_route("GET", "/{tail:.*}", sites.handler(role))
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        runners.append(runner)
        try:
            await web.TCPSite(runner, state.host, port, reuse_address=True).start()
        except OSError as exc:
            print(f"static server: cannot listen on {state.host}:{port}: {exc}", flush=True)
            for done in runners:
                await done.cleanup()
            raise SystemExit(2) from exc
        ports[role] = int(runner.addresses[0][1])
    me = os.getpid()
    home.write_server(
        ServerInfo(
            pid=me,
            identity=identity(me) or "",
            host=state.host,
            app_port=ports["app"],
            test_port=ports["test"],
        )
    )
    print(
        f"static server: {home.app} in {home.environment}: APP http://{state.host}:"
        f"{ports['app']}, TEST http://{state.host}:{ports['test']}",
        flush=True,
    )
    await stopping.wait()
    info = home.server()
    if info is not None and info.pid == me:
        with contextlib.suppress(OSError):
            home.server_file.unlink()
    for runner in runners:
        await runner.cleanup()


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m conveyor.providers.static_server HOME", file=sys.stderr)
        return 2
    root = Path(argv[0]).resolve()
    if not (root / "site.json").is_file():
        print(f"static server: no site state in {root}", file=sys.stderr)
        return 2
    asyncio.run(serve(SiteHome(root, root.parent.name, root.name)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
