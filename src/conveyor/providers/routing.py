"""The process provider's persisted state, one directory per app and environment.

``<state dir>/deploy/<app>/<environment>/``:

- ``routing.json``: the versions (their port, process id, status), which one is live
  and the canary's share of the traffic, if a canary is in progress -- written only by
  the provider, under ``routing.lock``, replaced atomically, so the router can read it
  at any time;
- ``router.json``: the running router (process id, ports, control token), written by
  the router once it listens;
- ``router.log``: the router's output;
- ``versions/<id>/files/``: the version's copy of its artifact, and ``output.log``,
  the version's output.

Everything survives conveyor and the router: a restarted router reads ``routing.json``
and serves the live version again.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shlex
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import msgspec

from conveyor.delivery.ports import ProviderError

DEPLOY_DIR = "deploy"
MARKER_ENV = "CONVEYOR_DEPLOY_TARGET"  # set in the router's and the versions' environment

Status = Literal["staged", "published"]


class Launch(msgspec.Struct, kw_only=True, frozen=True):
    """How a version is started, as the settings said when it was staged: a version is
    started again (a rollback, ``conveyor router start``) exactly as it was deployed."""

    command: str
    cwd: str = "."
    env: dict[str, str] = msgspec.field(default_factory=dict)
    health: str | None = None
    start_timeout: float = 30.0

    def argv(self, port: int) -> list[str]:
        """The command's words, ``$PORT`` / ``${PORT}`` replaced by ``port``."""
        text = str(port)
        words = shlex.split(self.command)
        return [w.replace("${PORT}", text).replace("$PORT", text) for w in words]


class VersionRecord(msgspec.Struct, kw_only=True):
    """One version of the app: ``staged`` (probed, not published) or ``published``.
    ``pid`` is 0 while it is not running (retired, or not started again yet)."""

    id: str
    name: str  # the artifact's version name
    digest: str
    launch: Launch
    status: Status = "staged"
    port: int = 0
    pid: int = 0
    identity: str = ""  # the process's start time, to tell a reused pid
    created_at: float = 0.0


class CanarySplit(msgspec.Struct, kw_only=True):
    """A canary in progress: ``weight`` percent of new requests go to ``version`` instead
    of the live one. With ``header`` or ``cookie``, a client carrying it is pinned: the
    value's hash decides, so the client stays on one version while the weight stays (and
    only moves from the live version to the canary as the weight grows)."""

    version: str
    weight: float  # 0..100
    header: str | None = None
    cookie: str | None = None


class Routing(msgspec.Struct, kw_only=True):
    app: str
    environment: str
    host: str = "127.0.0.1"
    port: int = 0  # the router's port (0: not chosen yet)
    live: str | None = None
    canary: CanarySplit | None = None
    next_id: int = 1
    versions: dict[str, VersionRecord] = msgspec.field(default_factory=dict)

    def published(self) -> list[str]:
        ids = [v.id for v in self.versions.values() if v.status == "published"]
        return sorted(ids, key=int)


class RouterInfo(msgspec.Struct, kw_only=True):
    """What a running router wrote about itself."""

    pid: int
    identity: str
    host: str
    port: int
    control_port: int
    token: str


_encoder = msgspec.json.Encoder()


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``path`` so readers see the old or the new content, never a part."""
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        Path(temp).replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            Path(temp).unlink()
        raise


@dataclass(frozen=True, slots=True)
class Home:
    """The directory of one app in one environment."""

    root: Path
    app: str
    environment: str

    @classmethod
    def of(cls, state_dir: Path, app: str, environment: str) -> Home:
        from conveyor.delivery.settings import NAME  # not imported by the router

        for kind, name in (("app", app), ("environment", environment)):
            if not NAME.match(name):
                raise ProviderError(
                    f"'{name}' is not an {kind} name: use letters, digits, '.', '_', '-'"
                )
        return cls((state_dir / DEPLOY_DIR / app / environment).resolve(), app, environment)

    @property
    def routing_file(self) -> Path:
        return self.root / "routing.json"

    @property
    def router_file(self) -> Path:
        return self.root / "router.json"

    @property
    def router_log(self) -> Path:
        return self.root / "router.log"

    def version_dir(self, version: str) -> Path:
        return self.root / "versions" / version

    def read(self) -> Routing:
        """The routing state (empty when nothing was deployed yet)."""
        try:
            data = self.routing_file.read_bytes()
        except FileNotFoundError:
            return Routing(app=self.app, environment=self.environment)
        try:
            return msgspec.json.decode(data, type=Routing)
        except msgspec.ValidationError as exc:
            raise ProviderError(
                f"{self.routing_file}: not a routing state conveyor wrote ({exc}); "
                "stop the app (conveyor router stop) and remove the file to start afresh"
            ) from exc

    @contextlib.contextmanager
    def edit(self) -> Iterator[Routing]:
        """The routing state, locked against other conveyor processes, written back
        (atomically) when the block ends without an error."""
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / "routing.lock").open("a+b") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                routing = self.read()
                yield routing
                write_atomically(self.routing_file, _encoder.encode(routing))
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def router(self) -> RouterInfo | None:
        """What the router last wrote about itself (it may have died since)."""
        try:
            return msgspec.json.decode(self.router_file.read_bytes(), type=RouterInfo)
        except (FileNotFoundError, msgspec.ValidationError):
            return None

    def write_router(self, info: RouterInfo) -> None:
        write_atomically(self.router_file, _encoder.encode(info))


def homes(state_dir: Path, app: str | None = None, environment: str | None = None) -> list[Home]:
    """Every app/environment directory under ``state_dir`` (or the ones named)."""
    base = state_dir / DEPLOY_DIR
    found: list[Home] = []
    if not base.is_dir():
        return found
    for app_dir in sorted(p for p in base.iterdir() if p.is_dir()):
        for env_dir in sorted(p for p in app_dir.iterdir() if p.is_dir()):
            home = Home(env_dir.resolve(), app_dir.name, env_dir.name)
            routing = home.read()
            home = Home(home.root, routing.app or app_dir.name, routing.environment or env_dir.name)
            if app is not None and home.app != app:
                continue
            if environment is not None and home.environment != environment:
                continue
            found.append(home)
    return found
