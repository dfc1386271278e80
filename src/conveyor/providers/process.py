"""The ``process`` provider: each version of an app is a local process, behind
conveyor's router (:mod:`conveyor.providers.router`) which holds the live alias.

- **stage**: copy the artifact's files to ``versions/<id>/files``, start the app's
  ``command`` there on a port of its own (``$PORT``), detached, and wait until it is
  ready (``health`` answers 2xx/3xx, else the port accepts connections);
- **probe**: an HTTP request straight to a version's own port;
- **publish**: mark the staged version published (its files are not touched again);
- **switch**: start the version again if it is not running (a rollback to a retired
  version), start the router if it is not running, record the new live version in
  ``routing.json`` and tell the router: new requests go to it at once, requests in
  flight finish on the version they started on;
- **retire**: wait until the router has no request in flight on the version
  (``drain-timeout``), then SIGTERM it, SIGKILL after ``stop-timeout``; its files stay
  so a rollback can start it again;
- **discard**: stop a staged version and delete it;
- **set_weight** (canaries): record in ``routing.json`` that a share of new requests goes
  to a published, running version beside the live one (optionally pinned by a header or
  cookie) and tell the router; **traffic**: the router's per-version request counts,
  errors and latencies for a window. A switch ends any split.

State: :mod:`conveyor.providers.routing` (``<state dir>/deploy/<app>/<env>/``).
:func:`stop_all` stops every version and router of a state directory (or of one app);
:func:`start_all` brings the live ones back, each version started exactly as it was
deployed (``routing.json`` keeps each version's command, cwd, env and health check).
"""

from __future__ import annotations

import contextlib
import shutil
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

from conveyor.delivery.ports import (
    ArtifactRef,
    Bucket,
    Pin,
    Probe,
    ProbeResult,
    ProviderError,
    Staged,
    Target,
)
from conveyor.providers import control, pids, processes
from conveyor.providers.routing import (
    CanarySplit,
    Home,
    RouterInfo,
    Routing,
    VersionRecord,
    homes,
)
from conveyor.providers.settings import ProcessSettings, parse

STAGED_STOP_SECONDS = 5.0


class ProcessProvider:
    """Versions as local processes behind conveyor's router, state in ``state_dir``."""

    name = "process"

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir.resolve()

    def home(self, target: Target) -> Home:
        return Home.of(self.state_dir, target.app, target.environment)

    def check(self, target: Target) -> None:
        parse(ProcessSettings, target)

    # -- stage, probe, publish, discard -----------------------------------------------

    def stage(self, target: Target, artifact: ArtifactRef) -> Staged:
        settings = parse(ProcessSettings, target)
        if artifact.kind != "files":
            raise ProviderError(
                f"{target.app}: the process provider runs files artifacts, not the image "
                f'{artifact.location}; publish the app\'s files (or use provider = "aws-lambda")'
            )
        source = Path(artifact.location)
        if not source.is_dir():
            raise ProviderError(f"{target.app}: the artifact's files are not at {source}")
        home = self.home(target)
        with home.edit() as routing:
            record = VersionRecord(
                id=str(routing.next_id),
                name=artifact.version,
                digest=artifact.digest,
                launch=settings.launch(),
                created_at=time.time(),
            )
            routing.next_id += 1
            routing.versions[record.id] = record
        folder = home.version_dir(record.id)
        try:
            shutil.rmtree(folder, ignore_errors=True)
            shutil.copytree(source, folder / "files", symlinks=True)
            record = _start(home, record)
        except BaseException:
            with home.edit() as routing:
                routing.versions.pop(record.id, None)
            shutil.rmtree(folder, ignore_errors=True)
            raise
        return Staged(handle=record.id, endpoint=f"http://127.0.0.1:{record.port}")

    def probe(self, target: Target, version: Staged | str, probe: Probe) -> ProbeResult:
        handle = version.handle if isinstance(version, Staged) else version
        record = _record(self.home(target).read(), handle)
        if not pids.running(record.pid, record.identity):
            raise ProviderError(
                f"version {handle} of {target.app} in {target.environment} is not running; "
                "switch to it (a rollback starts it again) before probing it"
            )
        url = f"http://127.0.0.1:{record.port}{probe.path}"
        try:
            answer = control.local_http().request(
                probe.method,
                url,
                content=probe.body.encode() if probe.body else None,
                headers=dict(probe.headers),
                timeout=probe.timeout,
            )
        except httpx.HTTPError as exc:
            raise ProviderError(
                f"{probe.method} {probe.path} to version {handle} of {target.app} failed: "
                f"{exc or type(exc).__name__}"
            ) from exc
        return ProbeResult(status=answer.status_code, body=answer.text)

    def publish(self, target: Target, staged: Staged) -> str:
        with self.home(target).edit() as routing:
            record = _record(routing, staged.handle)
            record.status = "published"
        return record.id

    def discard(self, target: Target, staged: Staged) -> None:
        home = self.home(target)
        routing = home.read()
        record = _record(routing, staged.handle)
        if routing.live == record.id:
            raise ProviderError(f"version {record.id} of {target.app} is live: not discarded")
        processes.stop(record.pid, record.identity, STAGED_STOP_SECONDS)
        with home.edit() as routing:
            routing.versions.pop(record.id, None)
        shutil.rmtree(home.version_dir(record.id), ignore_errors=True)

    # -- the alias --------------------------------------------------------------------

    def switch(self, target: Target, version: str) -> None:
        settings = parse(ProcessSettings, target)
        home = self.home(target)
        with home.edit() as routing:
            port = settings.router_port(target.environment) or routing.port
            routing.port, routing.host = port or pids.free_port(settings.host), settings.host
        _switch(home, version)

    def retire(self, target: Target, version: str) -> None:
        settings = parse(ProcessSettings, target)
        home = self.home(target)
        routing = home.read()
        record = _record(routing, version)
        if routing.live == version or (routing.canary and routing.canary.version == version):
            raise ProviderError(
                f"version {version} of {target.app} is live in {target.environment}: switch "
                "to another version before retiring it"
            )
        info = control.running_router(home)
        if info is not None:
            wait = settings.drain_timeout
            control.call(info, "POST", "/drain", {"version": version, "timeout": wait}, wait + 10)
        processes.stop(record.pid, record.identity, settings.stop_timeout)
        with home.edit() as routing:
            found = routing.versions.get(version)
            if found is not None and found.pid == record.pid:
                found.pid, found.identity = 0, ""

    def live(self, target: Target) -> str | None:
        return self.home(target).read().live

    # -- canaries ---------------------------------------------------------------------

    def set_weight(
        self, target: Target, stable: str, canary: str, weight: float, pin: Pin | None = None
    ) -> None:
        home = self.home(target)
        routing = home.read()
        if routing.live != stable:
            raise ProviderError(
                f"{target.app} in {target.environment}: the live version is "
                f"{routing.live or 'none'}, not {stable}: another deploy or a rollback moved "
                "it; the canary cannot go on"
            )
        record = _record(routing, canary)
        if record.status != "published" or not pids.running(record.pid, record.identity):
            raise ProviderError(
                f"version {canary} of {target.app} is not a published, running version: "
                "it cannot take a share of the traffic"
            )
        info = control.running_router(home)
        if info is None:
            raise ProviderError(
                f"the router of {target.app} in {target.environment} is not running; "
                "start it (conveyor router start) and try again"
            )
        pin = pin or Pin()
        with home.edit() as routing:
            routing.canary = CanarySplit(
                version=canary, weight=weight, header=pin.header, cookie=pin.cookie
            )
        control.call(info, "POST", "/reload")

    def traffic(
        self, target: Target, versions: Sequence[str], start: float, end: float, buckets: int
    ) -> dict[str, list[Bucket]]:
        info = control.running_router(self.home(target))
        if info is None:
            raise ProviderError(
                f"the router of {target.app} in {target.environment} is not running: no "
                "traffic to measure (conveyor router start)"
            )
        query = f"/metrics?start={start}&end={end}&buckets={buckets}&versions={','.join(versions)}"
        answer = control.call(info, "GET", query)
        return {
            version: [
                Bucket(
                    start=float(b["start"]),
                    requests=int(b["requests"]),
                    errors=int(b["errors"]),
                    latencies=tuple(float(x) for x in b["latencies"]),
                )
                for b in answer["versions"].get(version, [])
            ]
            for version in versions
        }

    def versions(self, target: Target) -> list[str]:
        return self.home(target).read().published()

    def endpoint(self, target: Target) -> str | None:
        """Where the live alias answers (the router's URL), once the router is running."""
        info = control.running_router(self.home(target))
        return f"http://{info.host}:{info.port}" if info is not None else None


def _record(routing: Routing, version: str) -> VersionRecord:
    record = routing.versions.get(version)
    if record is None:
        known = ", ".join(routing.versions) or "none"
        raise ProviderError(
            f"{routing.app} in {routing.environment} has no version {version!r} (versions: {known})"
        )
    return record


def _switch(home: Home, version: str) -> RouterInfo:
    """Make ``version`` live: start it if it is not running, start the router if it is
    not running (on the port recorded in ``routing.json``), then tell the router."""
    record = _record(home.read(), version)
    if record.status != "published":
        raise ProviderError(
            f"version {version} of {home.app} is staged, not published: publish it first"
        )
    if not pids.running(record.pid, record.identity):
        _start(home, record)
    routing = home.read()
    info = control.ensure_router(home, routing.host, routing.port)
    with home.edit() as routing:
        routing.live = record.id
        routing.canary = None  # a switch ends any canary split
    answer = control.call(info, "POST", "/reload")
    if answer.get("live") != record.id:
        raise ProviderError(
            f"the router of {home.app} in {home.environment} did not take version "
            f"{record.id} (it routes to {answer.get('live')}); see {home.router_log}"
        )
    return info


def _start(home: Home, record: VersionRecord) -> VersionRecord:
    """Start ``record``'s version on a free port, wait until it is ready, and record
    where it runs; the updated record."""
    launch = record.launch
    folder = home.version_dir(record.id)
    cwd = (folder / "files" / launch.cwd).resolve()
    if not cwd.is_dir():
        raise ProviderError(f"{home.app}: cwd = {launch.cwd!r} is not a directory of the artifact")
    port = pids.free_port()
    env = pids.child_env(
        home.root,
        {
            **launch.env,
            "PORT": str(port),
            "CONVEYOR_APP": home.app,
            "CONVEYOR_ENVIRONMENT": home.environment,
            "CONVEYOR_VERSION": record.name,
        },
    )
    log = folder / "output.log"
    try:
        pid = pids.spawn(launch.argv(port), cwd=cwd, env=env, log=log)
    except OSError as exc:
        raise ProviderError(
            f"{home.app}: cannot start {launch.command!r} in {cwd}: {exc.strerror or exc}"
        ) from exc
    known = pids.identity(pid) or ""
    try:
        _wait_ready(home, record, pid=pid, port=port, log=log)
        with home.edit() as routing:
            found = _record(routing, record.id)
            found.port, found.pid, found.identity = port, pid, known
    except BaseException:
        processes.stop(pid, known, STAGED_STOP_SECONDS)
        raise
    return found


def _wait_ready(home: Home, record: VersionRecord, *, pid: int, port: int, log: Path) -> None:
    launch = record.launch
    what = f"version {record.id} ({record.name}) of {home.app} in {home.environment}"
    deadline = time.monotonic() + launch.start_timeout
    last = "it did not listen on its port ($PORT)"
    client = control.local_http()
    while True:
        code = pids.reap(pid)
        if code is not None or pids.identity(pid) is None:
            raise ProviderError(
                f"{what} exited (code {code}) before it was ready; its output "
                f"({log}) ends with:\n{pids.tail(log)}"
            )
        if launch.health is None:
            if pids.accepts("127.0.0.1", port):
                return
        else:
            with contextlib.suppress(httpx.HTTPError):
                answer = client.get(f"http://127.0.0.1:{port}{launch.health}", timeout=2.0)
                if 200 <= answer.status_code < 400:
                    return
                last = f"GET {launch.health} answered {answer.status_code}"
        if time.monotonic() >= deadline:
            raise ProviderError(
                f"{what} was not ready within {launch.start_timeout:g}s: {last}; fix the "
                f"app or its health check, or raise start-timeout. Its output ({log}) "
                f"ends with:\n{pids.tail(log)}"
            )
        time.sleep(pids.POLL_SECONDS)


def start_all(
    state_dir: Path, app: str | None = None, environment: str | None = None
) -> list[tuple[Home, str]]:
    """Bring the live aliases of ``state_dir`` (or of one app, or one app in one
    environment) back after a reboot, a crash or :func:`stop_all`: start each live
    version that is not running, as it was deployed, and its router on its recorded
    port. Returns each app/environment with its router's URL."""
    started: list[tuple[Home, str]] = []
    for home in homes(state_dir.resolve(), app, environment):
        routing = home.read()
        if routing.live is None or routing.port <= 0:
            continue
        info = _switch(home, routing.live)
        started.append((home, f"http://{info.host}:{info.port}"))
    return started


def stop_all(state_dir: Path, app: str | None = None, environment: str | None = None) -> int:
    """Stop the routers and every running version of ``state_dir`` (or of one app, or
    one app in one environment), and anything they left behind. The routing state stays:
    :func:`start_all` (``conveyor router start``) brings the live versions back. Returns
    how many processes were stopped."""
    stopped = 0
    for home in homes(state_dir.resolve(), app, environment):
        stopped += control.stop_router(home)
        routing = home.read()
        for record in routing.versions.values():
            stopped += processes.stop(record.pid, record.identity, 10.0)
        with home.edit() as routing:
            for record in routing.versions.values():
                record.pid, record.identity = 0, ""
        stopped += processes.sweep(home.root)
    return stopped


def describe(
    state_dir: Path, app: str | None = None, environment: str | None = None
) -> list[dict[str, Any]]:
    """What runs where: per app and environment, the router (its URL, or None when it is
    not running), the live version and every version with whether it runs."""
    found: list[dict[str, Any]] = []
    for home in homes(state_dir.resolve(), app, environment):
        routing = home.read()
        info = control.running_router(home)
        found.append(
            {
                "app": home.app,
                "environment": home.environment,
                "router": f"http://{info.host}:{info.port}" if info else None,
                "router_pid": info.pid if info else None,
                "live": routing.live,
                "canary": (
                    {"version": routing.canary.version, "weight": routing.canary.weight}
                    if routing.canary
                    else None
                ),
                "versions": [
                    {
                        "id": record.id,
                        "name": record.name,
                        "digest": record.digest,
                        "status": record.status,
                        "running": pids.running(record.pid, record.identity),
                        "port": record.port,
                        "pid": record.pid,
                    }
                    for record in sorted(routing.versions.values(), key=lambda r: int(r.id))
                ],
            }
        )
    return found
