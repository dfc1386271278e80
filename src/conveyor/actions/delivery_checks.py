"""Checks of the delivery actions' steps before anything runs (exit 2, nothing
deployed): the app and the environments they name must be in ``conveyor.toml``.

Only names written without expressions are checked here (and the job's ``environment:``
when it is written without one); the actions check the rest again when they run.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from conveyor.actions.delivery_common import DeliveryConfig
from conveyor.errors import ConveyorError
from conveyor.tiers.configfile import find_config, load_config


def _config(root: Path) -> DeliveryConfig:
    found = find_config(root)
    return DeliveryConfig(load_config(found[0] if found else None, start=root))


def _known(value: str | None) -> str | None:
    """A name as written, None when there is none or it holds an expression."""
    return None if not value or "${{" in value else value


def _check(
    root: Path, app: str | None = None, environments: tuple[str | None, ...] = ()
) -> list[str]:
    problems: list[str] = []
    try:
        config = _config(root)
    except ConveyorError as exc:
        return [str(exc)]
    if app:
        try:
            config.app(app)
        except ConveyorError as exc:
            problems.append(str(exc))
    for name in environments:
        if not name:
            continue
        try:
            config.environment(name)
        except ConveyorError as exc:
            problems.append(str(exc))
    return problems


def check_publish(
    inputs: Mapping[str, str], environment: str | None, repository_root: Path
) -> list[str]:
    return _check(repository_root, _known(inputs.get("app")))


def check_promote(
    inputs: Mapping[str, str], environment: str | None, repository_root: Path
) -> list[str]:
    return _check(repository_root, _known(inputs.get("app")), (_known(inputs.get("from")),))


def check_deploy(
    inputs: Mapping[str, str], environment: str | None, repository_root: Path
) -> list[str]:
    given = inputs.get("environment")
    chosen = _known(given) if given else environment
    return _check(repository_root, _known(inputs.get("app")), (chosen,))
