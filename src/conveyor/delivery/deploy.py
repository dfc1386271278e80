"""The deploy procedure, written once for every provider (the seeds' pattern):

1. refuse while a blocking gate of the run failed for the environment
   (``conveyor/schema-gate@v1``'s verdict, even when its step was continued past);
2. take the deploy lock of (environment, app): wait up to ``lock_timeout`` for a
   deployment in progress, then fail saying which run holds it;
3. **stage** the version beside the live one and **smoke** it directly; a failed smoke
   **discards** it, leaves the alias where it was and fails;
4. **publish** it as an immutable version and **switch** the live alias to it;
5. **verify** it live; a failed verify rolls the alias back to the previous version
   (:mod:`conveyor.delivery.rollback`, never behind a migration) and fails. A provider
   with ``verify_before_switch`` (``static``: TEST, then APP) has ``verify:`` run on the
   staged version's endpoint before the switch instead; a failure there is handled as a
   failed smoke (discarded, the alias untouched).

Each deployment is recorded (:class:`~conveyor.store.deliveries.DeliveryStore`): app,
environment, version, digest, provider version, run and job, the job's approvals, the
previous version, the status and why, timings, the environment's schema revision.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from threading import Event
from typing import NoReturn

from conveyor.delivery.checks import Check, CheckFailure, CheckRun, run_checks
from conveyor.delivery.ports import ArtifactRef, Provider, ProviderError, Staged, Target
from conveyor.delivery.rollback import (
    DeliveryError,
    RollbackRefused,
    RollbackRequest,
    retire,
    rollback,
)
from conveyor.errors import ConveyorError
from conveyor.reporting.settings import NotifySettings
from conveyor.store.deliveries import (
    FAILED,
    SMOKE_FAILED,
    DeliveryStore,
    Deployment,
    NewDeployment,
)

LOCK_POLL_SECONDS = 0.5


@dataclass(frozen=True, slots=True)
class DeployRequest:
    target: Target
    provider_name: str
    artifact: ArtifactRef
    repository_id: int
    run_id: int
    job_key: str
    artifact_id: int | None = None
    smoke: Sequence[Check] = ()
    verify: Sequence[Check] = ()
    rollback_on: Sequence[str] = ()
    lock_timeout: float = 600.0
    live_url: str = ""  # $DEPLOY_URL of verify commands (the environment's address)
    env: Mapping[str, str] = field(default_factory=dict)  # of check commands
    cwd: Path = Path()
    command_timeout: float = 600.0
    notify: NotifySettings | None = None


@dataclass(frozen=True, slots=True)
class Deployed:
    deployment: Deployment
    url: str = ""  # where the live alias answers, when the provider has an address


def deploy(
    store: DeliveryStore,
    provider: Provider,
    request: DeployRequest,
    *,
    log: Callable[[str], None],
    cancel: Event,
) -> Deployed:
    """Deploy ``request.artifact``; returns the live deployment, raises
    :class:`DeliveryError` (recorded, with the alias where the message says)."""
    return _Deploy(store, provider, request, log, cancel).run()


@dataclass(slots=True)
class _Deploy:
    store: DeliveryStore
    provider: Provider
    request: DeployRequest
    log: Callable[[str], None]
    cancel: Event

    def run(self) -> Deployed:
        request, target = self.request, self.request.target
        self._refuse_failed_gates()
        self._take_lock()
        try:
            return self._deploy()
        finally:
            self.store.release_lock(
                request.repository_id,
                target.environment,
                target.app,
                request.run_id,
                request.job_key,
            )

    def _refuse_failed_gates(self) -> None:
        target = self.request.target
        failed = self.store.failed_gates(self.request.run_id, target.environment)
        if failed:
            gates = "; ".join(f"{g.gate} gate of job {g.job_key}: {g.detail}" for g in failed)
            raise DeliveryError(
                f"deploy of {target.app} to {target.environment} refused: a blocking gate of "
                f"this run failed for {target.environment} ({gates}). Fix what the gate "
                "reports (e.g. run conveyor/migrate@v1) and run the gate again"
            )

    def _take_lock(self) -> None:
        request, target = self.request, self.request.target
        deadline = time.monotonic() + request.lock_timeout
        announced = False
        while True:
            holder = self.store.acquire_lock(
                request.repository_id,
                target.environment,
                target.app,
                request.run_id,
                request.job_key,
            )
            if holder is None:
                return
            since = time.strftime("%H:%M:%S", time.localtime(holder.acquired_at))
            busy = (
                f"a deployment of {target.app} to {target.environment} is in progress (run "
                f"{holder.run_id}, job {holder.job_key}, since {since})"
            )
            if time.monotonic() >= deadline or self.cancel.is_set():
                waited = f" after waiting {request.lock_timeout:g}s" if request.lock_timeout else ""
                raise DeliveryError(
                    f"{busy}{waited}: at most one deployment per environment and app runs at "
                    "a time. Deploy again when it has finished, or raise the step's lock-timeout"
                )
            if not announced:
                self.log(f"waiting: {busy}")
                announced = True
            self.cancel.wait(min(LOCK_POLL_SECONDS, max(0.0, deadline - time.monotonic())))

    def _begin(self) -> Deployment:
        """Record the deployment of the request's artifact (staging), with the schema
        revision, the approvals and ``rollback-on`` it goes out with."""
        store, request = self.store, self.request
        target, artifact = request.target, request.artifact
        return store.begin_deployment(
            NewDeployment(
                repository_id=request.repository_id,
                app=target.app,
                environment=target.environment,
                version=artifact.version,
                digest=artifact.digest,
                provider=request.provider_name,
                artifact_id=request.artifact_id,
                run_id=request.run_id,
                job_key=request.job_key,
                schema_revision=store.schema_revision(request.repository_id, target.environment),
                approvals=store.approvals(request.run_id, request.job_key),
                rollback_on=request.rollback_on,
            )
        )

    def _deploy(self) -> Deployed:
        store, provider, request = self.store, self.provider, self.request
        target, artifact = request.target, request.artifact
        row = self._begin()
        previous = row.previous_version or "nothing"
        where = f"{target.app} {artifact.version} to {target.environment}"
        self.log(f"deploying {where} (live now: {previous}), provider {request.provider_name}")
        try:
            staged = provider.stage(target, artifact)
        except (ProviderError, ConveyorError, OSError) as exc:
            store.finish_deployment(row.id, FAILED, reason=f"staging failed: {exc}")
            raise DeliveryError(f"deploy of {where} failed while staging: {exc}") from exc
        self.log(f"staged {artifact.version}" + (f" at {staged.endpoint}" * bool(staged.endpoint)))
        smoke = self._checks(staged, staged.endpoint, request.smoke)
        if smoke is not None:
            self._discard(staged)
            reason = f"smoke failed: {smoke}"
            store.finish_deployment(row.id, SMOKE_FAILED, reason=reason)
            raise DeliveryError(
                f"deploy of {where}: {reason}; the staged version was discarded and the alias "
                f"stays on {previous}"
            )
        tested = bool(getattr(provider, "verify_before_switch", False)) and bool(request.verify)
        if tested:  # e.g. the static provider: verify on TEST, users see it only if it passes
            self.log(f"verify on the test endpoint {staged.endpoint} before the switch")
            failure = self._checks(staged, staged.endpoint, request.verify)
            if failure is not None:
                self._discard(staged)
                reason = f"verify failed before the switch: {failure}"
                store.finish_deployment(row.id, SMOKE_FAILED, reason=reason)
                raise DeliveryError(
                    f"deploy of {where}: {reason}; the staged version was discarded and the "
                    f"alias stays on {previous}"
                )
        try:
            version = provider.publish(target, staged)
            self.log(f"published {artifact.version} as version {version}")
            provider.switch(target, version)
        except (ProviderError, ConveyorError, OSError) as exc:
            self._discard(staged)
            store.finish_deployment(row.id, FAILED, reason=f"publish/switch failed: {exc}")
            raise DeliveryError(
                f"deploy of {where} failed: {exc}; the alias stays on {previous}"
            ) from exc
        store.went_live(row.id, version)
        url = request.live_url or _endpoint(provider, target)
        self.log(f"live: {target.app} in {target.environment} is {artifact.version} {url}")
        failure = None if tested else self._checks(version, url, request.verify)
        if failure is not None:
            self._roll_back(row, f"verify failed: {failure}")
        store.complete(row.id)
        done = store.deployment(row.id)
        assert done is not None
        if row.previous_id is not None:
            before = store.deployment(row.previous_id)
            if before is not None and before.provider_version not in ("", version):
                retire(provider, target, before.provider_version, self.log)
        return Deployed(done, url)

    def _roll_back(self, row: Deployment, reason: str) -> NoReturn:
        request, target = self.request, self.request.target
        where = f"{target.app} {request.artifact.version} in {target.environment}"
        try:
            rolled = rollback(
                self.store,
                self.provider,
                RollbackRequest(
                    target=target,
                    provider_name=request.provider_name,
                    repository_id=request.repository_id,
                    reason=reason,
                    run_id=request.run_id,
                    job_key=request.job_key,
                    holds_lock=True,
                ),
                notify=request.notify,
                notify_env=dict(request.env),
                log=self.log,
            )
        except RollbackRefused as exc:
            self.store.mark_failed_live(row.id, f"{reason}; not rolled back: {exc}")
            raise DeliveryError(
                f"{where}: {reason}; it stays live, not rolled back: {exc}"
            ) from exc
        except DeliveryError as exc:
            self.store.mark_failed_live(row.id, f"{reason}; the rollback failed: {exc}")
            raise DeliveryError(f"{where}: {reason}; {exc}") from exc
        raise DeliveryError(
            f"{where}: {reason}; rolled back to {rolled.deployment.version} (deployment "
            f"#{row.id} is marked rolled back)"
        )

    def _checks(
        self, version: Staged | str, url: str, checks: Sequence[Check]
    ) -> CheckFailure | None:
        if not checks:
            return None
        request = self.request
        how = CheckRun(
            probe=lambda p: self.provider.probe(request.target, version, p),
            url=url,
            env=request.env,
            cwd=request.cwd,
            log=self.log,
            cancel=self.cancel,
            command_timeout=request.command_timeout,
        )
        return run_checks(checks, how)

    def _discard(self, staged: Staged) -> None:
        try:
            self.provider.discard(self.request.target, staged)
        except (ProviderError, ConveyorError, OSError) as exc:
            self.log(f"Warning: could not discard the staged version {staged.handle}: {exc}")


def _endpoint(provider: Provider, target: Target) -> str:
    try:
        return provider.endpoint(target) or ""
    except (ProviderError, ConveyorError, OSError):
        return ""
