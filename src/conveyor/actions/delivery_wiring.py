"""The delivery procedures wired to the providers and ``conveyor.toml``: what the deploy
action, ``conveyor rollback`` and the ``rollback-on:`` subscriber share."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from conveyor.delivery.autorollback import RollbackOnFailure
from conveyor.errors import ConfigError, ConveyorError
from conveyor.tiers.configfile import load_config

if TYPE_CHECKING:  # the procedures, the providers and the store are imported when they run
    from conveyor.actions.delivery_common import DeliveryConfig
    from conveyor.delivery.ports import Provider, Target
    from conveyor.delivery.rollback import RolledBack
    from conveyor.delivery.settings import AppSettings
    from conveyor.store.deliveries import DeliveryStore, Deployment


@dataclass(frozen=True, slots=True)
class Wired:
    """An app in an environment: its settings, the target and its provider (checked)."""

    settings: AppSettings
    target: Target
    provider: Provider


def wire(config: DeliveryConfig, app: str, environment: str, state_dir: Path) -> Wired:
    """The provider of ``app`` for ``environment``; a :class:`ConfigError` naming
    conveyor.toml's file and line when the app or the environment is unknown or the
    provider refuses its settings."""
    from conveyor.delivery.ports import Target
    from conveyor.providers import provider_for

    settings = config.app(app)
    config.environment(environment)
    target = Target(app=app, environment=environment, options=settings.options())
    provider = provider_for(settings, state_dir)
    try:
        provider.check(target)
    except ConfigError as exc:
        raise ConfigError(f"{config.app_line(app)}: [apps.{app}]: {exc}") from exc
    return Wired(settings, target, provider)


def manual_rollback(
    store: DeliveryStore,
    config: DeliveryConfig,
    *,
    repository_id: int,
    app: str,
    environment: str,
    to_version: str | None,
    force: bool,
    reason: str,
    log: Callable[[str], None],
) -> RolledBack:
    """``conveyor rollback``."""
    from conveyor.delivery.rollback import RollbackRequest, rollback

    wired = wire(config, app, environment, store.state_dir)
    return rollback(
        store,
        wired.provider,
        RollbackRequest(
            target=wired.target,
            provider_name=wired.settings.provider,
            repository_id=repository_id,
            reason=reason,
            to_version=to_version,
            force=force,
        ),
        notify=config.loaded.config.notify,
        log=log,
    )


def rollback_sink(root: Path, state_dir: Path) -> RollbackOnFailure:
    """The ``rollback-on:`` subscriber of a run of the repository at ``root``."""

    def roll_back(deployment: Deployment, reason: str) -> None:
        from conveyor.actions.delivery_common import DeliveryConfig
        from conveyor.delivery.rollback import RollbackRequest, rollback
        from conveyor.store.deliveries import DeliveryStore

        def say(line: str) -> None:
            print(f"conveyor: {line}", file=sys.stderr, flush=True)

        try:
            config = DeliveryConfig(load_config(start=root))
            wired = wire(config, deployment.app, deployment.environment, state_dir)
            with DeliveryStore(state_dir) as store:
                done = rollback(
                    store,
                    wired.provider,
                    RollbackRequest(
                        target=wired.target,
                        provider_name=wired.settings.provider,
                        repository_id=deployment.repository_id,
                        reason=reason,
                        run_id=deployment.run_id,
                        job_key=deployment.job_key,
                    ),
                    notify=config.loaded.config.notify,
                    log=say,
                )
            say(
                f"rolled back {deployment.app} in {deployment.environment}: "
                f"{done.replaced.version} -> {done.deployment.version} ({reason})"
            )
        except ConveyorError as exc:
            say(f"rollback of {deployment.app} in {deployment.environment} failed: {exc}")

    return RollbackOnFailure(state_dir, roll_back)
