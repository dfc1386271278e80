"""The ``static`` provider's local state, one directory per app and environment.

``<state dir>/sites/<app>/<environment>/``:

- ``site.json``: the versions (staged or published, in the order they were staged),
  which one TEST serves and which one APP serves, and the two ports -- written only by
  the provider, under ``site.lock``, replaced atomically; the server reads it again
  whenever it changed, so a switch takes effect on the next request;
- ``server.json``: the running server (process id, start time, ports);
- ``server.log``: its output;
- ``versions/<version>/``: the version's files (its ``index.html`` with the
  environment's API URL), served by TEST and APP alike.

The content is per environment, not shared between environments, because the API URL
written into ``index.html`` is the environment's. Everything survives conveyor and the
server: a restarted server serves what ``site.json`` says.
"""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import msgspec

from conveyor.delivery.ports import ProviderError
from conveyor.providers.routing import write_atomically

SITES_DIR = "sites"

Status = Literal["staged", "published"]


class SiteVersion(msgspec.Struct, kw_only=True):
    name: str
    digest: str
    status: Status = "staged"
    sequence: int = 0  # the order versions were staged in
    created_at: float = 0.0


class SiteState(msgspec.Struct, kw_only=True):
    app: str
    environment: str
    host: str = "127.0.0.1"
    app_port: int = 0  # 0: not chosen yet
    test_port: int = 0
    index: str = "index.html"
    spa: bool = False
    live: str | None = None  # what APP serves
    test: str | None = None  # what TEST serves
    next_sequence: int = 1
    versions: dict[str, SiteVersion] = msgspec.field(default_factory=dict)

    def published(self) -> list[str]:
        found = [v for v in self.versions.values() if v.status == "published"]
        return [v.name for v in sorted(found, key=lambda v: v.sequence)]


class ServerInfo(msgspec.Struct, kw_only=True):
    """What a running site server wrote about itself."""

    pid: int
    identity: str
    host: str
    app_port: int
    test_port: int


_encoder = msgspec.json.Encoder()


@dataclass(frozen=True, slots=True)
class SiteHome:
    """The directory of one static app in one environment."""

    root: Path
    app: str
    environment: str

    @classmethod
    def of(cls, state_dir: Path, app: str, environment: str) -> SiteHome:
        from conveyor.delivery.settings import NAME  # not imported by the server

        for kind, name in (("app", app), ("environment", environment)):
            if not NAME.match(name):
                raise ProviderError(
                    f"'{name}' is not an {kind} name: use letters, digits, '.', '_', '-'"
                )
        return cls((state_dir / SITES_DIR / app / environment).resolve(), app, environment)

    @property
    def state_file(self) -> Path:
        return self.root / "site.json"

    @property
    def server_file(self) -> Path:
        return self.root / "server.json"

    @property
    def server_log(self) -> Path:
        return self.root / "server.log"

    def version_dir(self, version: str) -> Path:
        return self.root / "versions" / version

    def read(self) -> SiteState:
        try:
            data = self.state_file.read_bytes()
        except FileNotFoundError:
            return SiteState(app=self.app, environment=self.environment)
        try:
            return msgspec.json.decode(data, type=SiteState)
        except msgspec.ValidationError as exc:
            raise ProviderError(
                f"{self.state_file}: not a site state conveyor wrote ({exc}); stop its "
                "server and remove the file to start afresh"
            ) from exc

    @contextlib.contextmanager
    def edit(self) -> Iterator[SiteState]:
        """The state, locked against other conveyor processes, written back atomically
        when the block ends without an error."""
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / "site.lock").open("a+b") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                state = self.read()
                yield state
                write_atomically(self.state_file, _encoder.encode(state))
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def server(self) -> ServerInfo | None:
        try:
            return msgspec.json.decode(self.server_file.read_bytes(), type=ServerInfo)
        except (FileNotFoundError, msgspec.ValidationError):
            return None

    def write_server(self, info: ServerInfo) -> None:
        write_atomically(self.server_file, _encoder.encode(info))


def site_homes(state_dir: Path, app: str | None = None) -> list[SiteHome]:
    """Every static app/environment directory under ``state_dir`` (or one app's)."""
    base = state_dir.resolve() / SITES_DIR
    if not base.is_dir():
        return []
    return [
        SiteHome(env_dir, app_dir.name, env_dir.name)
        for app_dir in sorted(p for p in base.iterdir() if p.is_dir())
        if app is None or app_dir.name == app
        for env_dir in sorted(p for p in app_dir.iterdir() if p.is_dir())
    ]
