"""The ``static`` provider: a built site served from two roots, TEST and APP, over the
same versioned content -- the seeds' frontend pattern (deploy to TEST, run the E2E
tests there, only then let users see it on APP), written once.

- **stage**: put the version's files in place with the environment's API URL written
  into ``index.html`` (``<script>window.API_URL = "...";</script>`` before
  ``</head>``, as the seeds' ``sed`` does), and point **TEST** at them; the staged
  version's endpoint is TEST's address, so ``smoke:`` and ``verify:`` run there;
- **probe**: an HTTP request to TEST (a staged version) or APP (the live one);
- **publish**: record the version as published (its files are not touched again);
- **switch**: point **APP** at a published version (a rollback is a switch back);
- **discard**: TEST back to what APP serves, the staged files deleted;
- **retire**: nothing: every version's files stay for a rollback.

Locally (no ``bucket``) the roots are the two listeners of one server process per app
and environment (:mod:`conveyor.providers.static_server`), the content under
``<state>/sites/<app>/<environment>/versions/<version>/`` (:mod:`.sites`). With
``bucket`` the content is in S3 under ``<prefix>/<version>/`` and the roots are two
CloudFront distributions (:mod:`conveyor.providers.static_aws`).

The deploy procedure runs ``verify:`` against TEST before the switch for this provider
(:attr:`StaticProvider.verify_before_switch`): users never see a version that failed it.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Protocol

import httpx

from conveyor.delivery.ports import ArtifactRef, Probe, ProbeResult, ProviderError, Staged, Target
from conveyor.providers import control, pids, processes
from conveyor.providers.settings import StaticSettings, for_environment, parse
from conveyor.providers.sites import ServerInfo, SiteHome, SiteState, SiteVersion, site_homes

SERVER_START_SECONDS = 15.0
SERVER_STOP_SECONDS = 10.0


def inject_api_url(html: str, variable: str, url: str) -> str:
    """``html`` with ``window.<variable> = "<url>"`` set before ``</head>`` (or first,
    when it has no head). The URL is written as a JSON string, ``</`` escaped, so no
    value can end the script early."""
    value = json.dumps(url).replace("</", "<\\/")
    script = f"<script>window.{variable} = {value};</script>"
    at = html.lower().find("</head>")
    if at < 0:
        return script + html
    return html[:at] + script + html[at:]


def prepare_files(source: Path, destination: Path, settings: StaticSettings, env: str) -> None:
    """Copy a build to ``destination``, its index with the environment's API URL."""
    shutil.copytree(source, destination, symlinks=False)
    api_url = for_environment(settings.api_url, env)
    index = destination / settings.index
    if api_url is not None:
        if not index.is_file():
            raise ProviderError(
                f"the build has no {settings.index} to write api-url into; build the site "
                "first, or set index = the page that loads the app"
            )
        html = index.read_text(encoding="utf-8")
        index.write_text(inject_api_url(html, settings.api_url_variable, api_url), "utf-8")


class StaticProvider:
    """A built site: TEST and APP served locally, or S3 + two CloudFront distributions."""

    name = "static"
    verify_before_switch = True  # the deploy runs verify: on TEST, then switches APP

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir.resolve()
        self._aws: CloudSites | None = None

    def check(self, target: Target) -> None:
        settings = parse(StaticSettings, target)
        if settings.on_aws:
            self._cloud().check(target, settings)

    def _cloud(self) -> CloudSites:
        if self._aws is None:
            from conveyor.providers.static_aws import CloudFrontSites

            self._aws = CloudFrontSites()
        return self._aws

    def _local(self, target: Target) -> tuple[StaticSettings, SiteHome] | None:
        settings = parse(StaticSettings, target)
        if settings.on_aws:
            return None
        return settings, SiteHome.of(self.state_dir, target.app, target.environment)

    # -- the port ------------------------------------------------------------------------

    def stage(self, target: Target, artifact: ArtifactRef) -> Staged:
        settings = parse(StaticSettings, target)
        if artifact.kind != "files":
            raise ProviderError(
                f"{target.app}: the static provider serves files artifacts, not the image "
                f"{artifact.location}; publish the site's build directory"
            )
        source = Path(artifact.location)
        if not source.is_dir():
            raise ProviderError(f"{target.app}: the artifact's files are not at {source}")
        if settings.on_aws:
            return self._cloud().stage(target, settings, artifact)
        home = SiteHome.of(self.state_dir, target.app, target.environment)
        with home.edit() as state:
            live = state.live == artifact.version
            found = state.versions.get(artifact.version)
            sequence = found.sequence if found is not None else state.next_sequence
            state.next_sequence = max(state.next_sequence, sequence + 1)
        folder = home.version_dir(artifact.version)
        if not live:  # what users see is never rewritten
            shutil.rmtree(folder, ignore_errors=True)
            folder.parent.mkdir(parents=True, exist_ok=True)
            prepare_files(source, folder, settings, target.environment)
        with home.edit() as state:
            previous = state.versions.get(artifact.version)
            state.versions[artifact.version] = SiteVersion(
                name=artifact.version,
                digest=artifact.digest,
                status=previous.status if previous is not None else "staged",
                sequence=sequence,
                created_at=time.time(),
            )
            _configure(state, settings, target.environment)
            state.test = artifact.version
        info = ensure_server(home)
        return Staged(handle=artifact.version, endpoint=f"http://{info.host}:{info.test_port}")

    def probe(self, target: Target, version: Staged | str, probe: Probe) -> ProbeResult:
        local = self._local(target)
        if local is None:
            return self._cloud().probe(target, parse(StaticSettings, target), version, probe)
        _, home = local
        name = version.handle if isinstance(version, Staged) else version
        state = home.read()
        info = ensure_server(home)
        if state.test == name:
            port = info.test_port
        elif state.live == name:
            port = info.app_port
        else:
            raise ProviderError(
                f"version {name} of {target.app} is served neither by TEST ({state.test}) "
                f"nor by APP ({state.live}) in {target.environment}: stage or switch to it first"
            )
        try:
            answer = control.local_http().request(
                probe.method,
                f"http://127.0.0.1:{port}{probe.path}",
                headers=dict(probe.headers),
                timeout=probe.timeout,
            )
        except httpx.HTTPError as exc:
            raise ProviderError(
                f"{probe.method} {probe.path} to version {name} of {target.app} failed: {exc}"
            ) from exc
        return ProbeResult(status=answer.status_code, body=answer.text)

    def publish(self, target: Target, staged: Staged) -> str:
        local = self._local(target)
        if local is None:
            return self._cloud().publish(target, parse(StaticSettings, target), staged)
        _, home = local
        with home.edit() as state:
            found = state.versions.get(staged.handle)
            if found is None:
                raise ProviderError(f"{target.app} has no staged version {staged.handle}")
            found.status = "published"
        return staged.handle

    def switch(self, target: Target, version: str) -> None:
        local = self._local(target)
        if local is None:
            self._cloud().switch(target, parse(StaticSettings, target), version)
            return
        settings, home = local
        with home.edit() as state:
            found = state.versions.get(version)
            if found is None or found.status != "published":
                known = ", ".join(state.published()) or "none"
                raise ProviderError(
                    f"{target.app} in {target.environment} has no published version "
                    f"{version!r} (published: {known})"
                )
            if not home.version_dir(version).is_dir():
                raise ProviderError(
                    f"the files of version {version} of {target.app} are gone from "
                    f"{home.version_dir(version)}: deploy it again"
                )
            _configure(state, settings, target.environment)
            state.live = version
            if state.test is None:
                state.test = version
        ensure_server(home)

    def discard(self, target: Target, staged: Staged) -> None:
        local = self._local(target)
        if local is None:
            self._cloud().discard(target, parse(StaticSettings, target), staged)
            return
        _, home = local
        with home.edit() as state:
            if state.live == staged.handle:
                raise ProviderError(f"version {staged.handle} of {target.app} is live: kept")
            state.test = state.live  # TEST shows what users see again
            found = state.versions.get(staged.handle)
            if found is not None and found.status == "staged":
                del state.versions[staged.handle]
                shutil.rmtree(home.version_dir(staged.handle), ignore_errors=True)

    def retire(self, target: Target, version: str) -> None:
        """Nothing to stop: the files stay for a rollback."""
        if self.live(target) == version:
            raise ProviderError(
                f"version {version} of {target.app} is live in {target.environment}: switch "
                "to another version before retiring it"
            )

    def live(self, target: Target) -> str | None:
        local = self._local(target)
        if local is None:
            return self._cloud().live(target, parse(StaticSettings, target))
        return local[1].read().live

    def versions(self, target: Target) -> list[str]:
        local = self._local(target)
        if local is None:
            return self._cloud().versions(target, parse(StaticSettings, target))
        return local[1].read().published()

    def endpoint(self, target: Target) -> str | None:
        local = self._local(target)
        if local is None:
            return self._cloud().url(target, parse(StaticSettings, target), "app")
        state = local[1].read()
        return f"http://{state.host}:{state.app_port}" if state.app_port else None

    def test_endpoint(self, target: Target) -> str | None:
        """TEST's address."""
        local = self._local(target)
        if local is None:
            return self._cloud().url(target, parse(StaticSettings, target), "test")
        state = local[1].read()
        return f"http://{state.host}:{state.test_port}" if state.test_port else None


class CloudSites(Protocol):
    """The S3 + CloudFront side (:mod:`conveyor.providers.static_aws`)."""

    def check(self, target: Target, settings: StaticSettings) -> None: ...

    def stage(self, target: Target, settings: StaticSettings, artifact: ArtifactRef) -> Staged: ...

    def probe(
        self, target: Target, settings: StaticSettings, version: Staged | str, probe: Probe
    ) -> ProbeResult: ...

    def publish(self, target: Target, settings: StaticSettings, staged: Staged) -> str: ...

    def switch(self, target: Target, settings: StaticSettings, version: str) -> None: ...

    def discard(self, target: Target, settings: StaticSettings, staged: Staged) -> None: ...

    def live(self, target: Target, settings: StaticSettings) -> str | None: ...

    def versions(self, target: Target, settings: StaticSettings) -> list[str]: ...

    def url(self, target: Target, settings: StaticSettings, role: str) -> str | None: ...


def _configure(state: SiteState, settings: StaticSettings, environment: str) -> None:
    """The served roots as the settings say (ports picked once, then kept)."""
    state.host, state.index, state.spa = settings.host, settings.index, settings.spa
    wanted_app = _port(settings.port, environment)
    wanted_test = _port(settings.test_port, environment)
    state.app_port = wanted_app or state.app_port or pids.free_port(settings.host)
    state.test_port = wanted_test or state.test_port or pids.free_port(settings.host)
    if state.app_port == state.test_port:
        raise ProviderError(
            f"{state.app}: port and test-port are both {state.app_port}: TEST and APP need "
            "ports of their own"
        )


def _port(value: int | dict[str, int] | None, environment: str) -> int | None:
    return value.get(environment) if isinstance(value, dict) else value


def ensure_server(home: SiteHome) -> ServerInfo:
    """The server of ``home``, (re)started if it is not running or listens elsewhere."""
    state = home.read()
    info = home.server()
    if info is not None and pids.running(info.pid, info.identity):
        if (info.host, info.app_port, info.test_port) == (
            state.host,
            state.app_port,
            state.test_port,
        ):
            return info
        processes.stop(info.pid, info.identity, SERVER_STOP_SECONDS)

    def announced(pid: int) -> ServerInfo | None:
        found = home.server()
        return found if found is not None and found.pid == pid else None

    return processes.start_server(
        "conveyor.providers.static_server", home.root, home.server_log, announced,
        what=f"the site server of {home.app} in {home.environment} (APP port "
        f"{state.app_port}, TEST port {state.test_port})",
        timeout=SERVER_START_SECONDS,
    )  # fmt: skip


def stop_sites(state_dir: Path, app: str | None = None) -> int:
    """Stop the site servers of ``state_dir`` (or of one app) and whatever they left."""
    stopped = 0
    for home in site_homes(state_dir, app):
        info = home.server()
        if info is not None:
            stopped += processes.stop(info.pid, info.identity, SERVER_STOP_SECONDS)
        stopped += processes.sweep(home.root)
    return stopped


def start_sites(state_dir: Path, app: str | None = None) -> list[tuple[SiteHome, str]]:
    """Start the servers of the sites that have a live version (after a reboot)."""
    started: list[tuple[SiteHome, str]] = []
    for home in site_homes(state_dir, app):
        state = home.read()
        if state.live is None or not state.app_port:
            continue
        info = ensure_server(home)
        started.append((home, f"http://{info.host}:{info.app_port}"))
    return started
