"""Rollback: move an environment's live alias back to a version that was live before,
with no rebuild, and record it.

Used three ways: ``conveyor rollback`` (by hand), a failed ``verify:`` of
``conveyor/deploy@v1``, and a failed job named in its ``rollback-on:``
(:mod:`conveyor.delivery.autorollback`). A rollback never goes behind a database
migration: the version it returns to must have been deployed at the environment's current
schema revision (``schema_migrations``), unless forced. Every rollback is a deployment row
of its own (``action`` ``rollback``), and the one it replaced is marked ``rolled_back``
with the reason; the ``[notify]`` channels are told.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from conveyor.delivery.ports import Provider, ProviderError, Target
from conveyor.errors import ConveyorError
from conveyor.reporting.notify import Message, NotifyOutcome, send_message
from conveyor.reporting.policy import Decision
from conveyor.reporting.settings import NotifySettings
from conveyor.store.deliveries import (
    FAILED,
    ROLLBACK,
    ROLLED_BACK,
    SUCCEEDED,
    DeliveryStore,
    Deployment,
    NewDeployment,
)


class DeliveryError(ConveyorError):
    """A deploy or a rollback failed or was refused; the message says why and what to do
    (exit 1)."""


class RollbackRefused(DeliveryError):
    """A rollback that would go behind a migration, or with nothing to go back to."""


@dataclass(frozen=True, slots=True)
class RollbackRequest:
    target: Target
    provider_name: str
    repository_id: int
    reason: str
    to_version: str | None = None  # None: the version live before the current one
    force: bool = False
    run_id: int | None = None
    job_key: str = ""
    holds_lock: bool = False  # the caller (a deploy) holds the deploy lock itself


@dataclass(frozen=True, slots=True)
class RolledBack:
    deployment: Deployment  # the new row: the restored version, live
    replaced: Deployment  # the one that was live, now rolled back
    notified: NotifyOutcome | None


def rollback_target(
    store: DeliveryStore, current: Deployment, to_version: str | None
) -> Deployment:
    """The deployment to return to: the newest one of ``to_version`` that went live in
    the environment, else the newest earlier live version that is not the current one."""
    history = store.deployments(
        current.repository_id, environment=current.environment, app=current.app
    )
    went_live = [d for d in history if d.status in SUCCEEDED and d.id != current.id]
    where = f"app {current.app} in {current.environment}"
    if to_version is not None:
        chosen = next((d for d in went_live if d.version == to_version), None)
        if chosen is None:
            known = ", ".join(dict.fromkeys(d.version for d in went_live)) or "none"
            raise RollbackRefused(
                f"version {to_version!r} of {where} was never live there (earlier live "
                f"versions: {known}); see `conveyor deployments --env {current.environment} "
                f"--app {current.app}`"
            )
        if chosen.version == current.version:
            raise RollbackRefused(f"version {to_version!r} of {where} is live already")
        return chosen
    earlier = [d for d in went_live if d.version != current.version and d.id < current.id]
    if not earlier:
        raise RollbackRefused(
            f"nothing to roll back to: {where} has had no other live version than {current.version}"
        )
    return earlier[0]


def schema_problem(store: DeliveryStore, chosen: Deployment) -> str | None:
    """Why returning to ``chosen`` would go behind a migration (None: it would not)."""
    history = store.schema_history(chosen.repository_id, chosen.environment)
    now = history[0].revision if history else ""
    if now == chosen.schema_revision:
        return None
    then = chosen.schema_revision or "none recorded"
    applied = ""
    if history:
        by = f" by run {history[0].run_id}" if history[0].run_id else ""
        applied = f" (migrated at {_when(history[0].applied_at)}{by})"
    return (
        f"version {chosen.version} was deployed at schema revision {then} and the "
        f"{chosen.environment} database is now at {now or 'none recorded'}{applied}; the "
        "older version may not run against it. Migrate the database back first, or force "
        "the rollback (conveyor rollback --force)"
    )


def rollback(
    store: DeliveryStore,
    provider: Provider,
    request: RollbackRequest,
    *,
    notify: NotifySettings | None = None,
    notify_env: dict[str, str] | None = None,
    log: Callable[[str], None] = lambda _line: None,
) -> RolledBack:
    """Move the live alias of ``request.target`` back; raises :class:`RollbackRefused`
    (nothing changed) or :class:`DeliveryError` (the provider failed)."""
    target = request.target
    current = store.live(request.repository_id, target.environment, target.app)
    if current is None:
        raise RollbackRefused(
            f"nothing is live for app {target.app} in {target.environment}: nothing to roll back"
        )
    chosen = rollback_target(store, current, request.to_version)
    problem = schema_problem(store, chosen)
    if problem is not None and not request.force:
        raise RollbackRefused(
            f"rollback of {target.app} in {target.environment} refused: {problem}"
        )
    if not request.holds_lock and not request.force:
        holder = store.lock_holder(request.repository_id, target.environment, target.app)
        if holder is not None:
            raise RollbackRefused(
                f"a deployment of {target.app} to {target.environment} is in progress (run "
                f"{holder.run_id}, job {holder.job_key}); wait for it to finish, or force it"
            )
    forced = f" (forced past: {problem})" if problem is not None else ""
    row = store.begin_deployment(
        NewDeployment(
            repository_id=request.repository_id,
            app=target.app,
            environment=target.environment,
            version=chosen.version,
            digest=chosen.digest,
            provider=request.provider_name,
            artifact_id=chosen.artifact_id,
            run_id=request.run_id,
            job_key=request.job_key,
            action=ROLLBACK,
            reason=f"rollback from {current.version}: {request.reason}{forced}",
            schema_revision=store.schema_revision(request.repository_id, target.environment),
            provider_version=chosen.provider_version,
        )
    )
    log(f"rolling back {target.app} in {target.environment}: {current.version} -> {chosen.version}")
    try:
        provider.switch(target, chosen.provider_version)
    except (ProviderError, ConveyorError, OSError) as exc:
        store.finish_deployment(row.id, FAILED, reason=f"{row.reason}; the switch failed: {exc}")
        raise DeliveryError(
            f"rollback of {target.app} in {target.environment} to {chosen.version} failed: "
            f"{exc}; {current.version} is still live"
        ) from exc
    store.went_live(
        row.id, chosen.provider_version, replaced_status=ROLLED_BACK, replaced_reason=request.reason
    )
    restored = store.deployment(row.id)
    replaced = store.deployment(current.id)
    assert restored is not None and replaced is not None
    if replaced.provider_version not in ("", restored.provider_version):
        retire(provider, target, replaced.provider_version, log)
    outcome = None
    if notify is not None:
        outcome = announce(notify, replaced, restored, replaced.reason, env=notify_env)
        for warning in outcome.warnings:
            log(f"Warning: {warning}")
    return RolledBack(restored, replaced, outcome)


def retire(provider: Provider, target: Target, version: str, log: Callable[[str], None]) -> None:
    """Stop a version nobody routes to any more (requests in flight finish first); a
    rollback can start it again. A failure is only a warning: the alias has moved."""
    try:
        provider.retire(target, version)
    except (ProviderError, ConveyorError, OSError) as exc:
        log(f"Warning: version {version} of {target.app} could not be retired: {exc}")


def announce(
    settings: NotifySettings,
    replaced: Deployment,
    restored: Deployment,
    reason: str,
    *,
    env: dict[str, str] | None = None,
) -> NotifyOutcome:
    """Tell the ``[notify]`` channels that ``replaced`` was rolled back to ``restored``."""
    subject = (
        f"Rolled back {replaced.app} in {replaced.environment}: "
        f"{replaced.version} -> {restored.version}"
    )
    run = f" (run {replaced.run_id}, job {replaced.job_key})" if replaced.run_id else ""
    text = f"{subject}\nWhy: {reason}\nDeployment #{replaced.id}{run} is marked rolled back."
    payload = {
        "source": "conveyor",
        "event": "rollback",
        "app": replaced.app,
        "environment": replaced.environment,
        "rolled_back": {"deployment": replaced.id, "version": replaced.version},
        "live": {"deployment": restored.id, "version": restored.version},
        "reason": reason,
        "run_id": replaced.run_id,
    }
    message = Message(subject=subject, text=text, payload=payload)
    decision = Decision(send=True, reasons=[f"rollback: {reason}"])
    return send_message(settings, message, replaced.run_id or 0, decision, env=env)


def _when(stamp: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(stamp))
