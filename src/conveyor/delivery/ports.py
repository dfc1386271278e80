"""The port every deployment provider implements, and the values that cross it.

A deploy follows the seeds' pattern, whatever the provider: **stage** the new version
beside the live one (Lambda: ``update-function-code`` to ``$LATEST``; process: start it on
a port of its own), **probe** the staged version directly (smoke checks), **publish** it
as an immutable version, **switch** the live alias to it. A failed smoke **discards** the
staged version and leaves the alias where it was; a rollback is a switch back to an
earlier published version; **retire** stops a version nobody routes to any more.
Providers are in :mod:`conveyor.providers`; :func:`conveyor.providers.provider_for`
builds one from an app's settings.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

from conveyor.errors import ConveyorError


@dataclass(frozen=True, slots=True)
class Target:
    """What is deployed where: an app (its provider's settings) in an environment."""

    app: str
    environment: str
    options: Mapping[str, object]  # the app's provider settings from conveyor.toml


@dataclass(frozen=True, slots=True)
class ArtifactRef:
    """The build to deploy: ``kind`` ``files`` (``location`` is a directory holding the
    unpacked files) or ``image`` (``location`` is an image reference, pinned by digest)."""

    app: str
    version: str  # the version name, e.g. sha-1a2b3c4-20261204-101500
    digest: str  # sha256 of the content
    kind: Literal["files", "image"]
    location: str


@dataclass(frozen=True, slots=True)
class Staged:
    """A version that was staged and can be probed, not yet published or live.
    ``handle`` is the provider's own name for it (a Lambda's ``$LATEST``, a process's
    version directory)."""

    handle: str
    endpoint: str = ""  # where HTTP probes reach it directly, when it has one
    # the provider's fingerprint of what was staged (a Lambda's CodeSha256): publish
    # refuses to publish anything else, e.g. code another deploy put there meanwhile
    revision: str = ""


@dataclass(frozen=True, slots=True)
class Probe:
    """One smoke/verify request: an HTTP request, or a Lambda invocation payload."""

    method: str = "GET"
    path: str = "/"
    body: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    timeout: float = 10.0


@dataclass(frozen=True, slots=True)
class ProbeResult:
    status: int  # HTTP status; for an invocation 200, or 500 when the function failed
    body: str


class ProviderError(ConveyorError):
    """A provider could not do what was asked; the message says what and what to do.
    (The deploy step turns it into a failed step; settings problems are ConfigErrors.)
    Exit code 1, as a failed run, when it reaches the CLI (e.g. ``conveyor rollback``)."""


class Provider(Protocol):
    """One deployment target technology. Every method names the :class:`Target`."""

    def check(self, target: Target) -> None:
        """Refuse (``conveyor.errors.ConfigError``) settings the provider cannot use,
        naming the missing or bad key; called before anything is deployed."""
        ...

    def stage(self, target: Target, artifact: ArtifactRef) -> Staged: ...

    def probe(self, target: Target, version: Staged | str, probe: Probe) -> ProbeResult:
        """Send ``probe`` to a staged version, or to a published version by its id."""
        ...

    def publish(self, target: Target, staged: Staged) -> str:
        """Make the staged version immutable; returns its version id."""
        ...

    def switch(self, target: Target, version: str) -> None:
        """Point the live alias at ``version``: new requests go there, requests in flight
        finish where they started."""
        ...

    def discard(self, target: Target, staged: Staged) -> None:
        """Drop a staged version that will not be published (a failed smoke)."""
        ...

    def retire(self, target: Target, version: str) -> None:
        """Stop a published version that is no longer live (kept for rollback where the
        provider keeps versions for free, e.g. Lambda)."""
        ...

    def live(self, target: Target) -> str | None:
        """The version the live alias points at, if any."""
        ...

    def versions(self, target: Target) -> list[str]:
        """Published versions, oldest first."""
        ...

    def endpoint(self, target: Target) -> str | None:
        """Where the live alias answers HTTP (the process provider's router), for
        ``verify:`` checks and the environment's URL; None when it has no such address
        (a Lambda is invoked: probe it by version)."""
        ...


# -- canaries -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Pin:
    """Keep a client on one version during a canary: by this request header's value, or
    this cookie's."""

    header: str | None = None
    cookie: str | None = None


@dataclass(frozen=True, slots=True)
class Bucket:
    """One version's traffic in a slice of time: requests, errors (5xx or no answer),
    and the latencies (ms) of each request when the provider sees them (the router), else
    the percentiles it was given (``{"p95": ms}``, e.g. from CloudWatch)."""

    start: float
    requests: int
    errors: int
    latencies: tuple[float, ...] = ()
    percentiles: Mapping[str, float] = field(default_factory=dict)


@runtime_checkable
class CanaryProvider(Protocol):
    """A provider that can split traffic between the live version and a canary
    (``strategy: canary`` of ``conveyor/deploy@v1``), and report each version's traffic."""

    def set_weight(
        self, target: Target, stable: str, canary: str, weight: float, pin: Pin | None = None
    ) -> None:
        """Send ``weight`` percent (0-100) of new requests to ``canary``, the rest to
        ``stable`` (the live alias, which stays where it is until a switch)."""
        ...

    def traffic(
        self, target: Target, versions: Sequence[str], start: float, end: float, buckets: int
    ) -> dict[str, list[Bucket]]:
        """Each version's traffic between ``start`` and ``end`` (wall clock), in
        ``buckets`` equal slices."""
        ...
