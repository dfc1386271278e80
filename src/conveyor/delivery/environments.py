"""An environment's secrets, from ``.secrets.<name>`` at the repository root (or the file
its ``secrets-file`` names), read once when a run starts."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from conveyor.delivery.gate import secret_key
from conveyor.delivery.settings import EnvironmentSettings
from conveyor.engine.secrets import read_dotenv
from conveyor.errors import ConfigError


def secrets_file(root: Path, name: str, settings: EnvironmentSettings) -> Path:
    given = settings.secrets_file
    return (root / given) if given else root / f".secrets.{name}"


def environment_secrets(
    root: Path, environments: Mapping[str, EnvironmentSettings]
) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Every environment's secrets: the values keyed as the run's secret source holds them
    (:func:`~conveyor.delivery.gate.secret_key`), and the names per environment. A
    ``secrets-file`` that is named but missing is an error; a missing default file is
    not."""
    values: dict[str, str] = {}
    names: dict[str, list[str]] = {}
    for name, settings in environments.items():
        path = secrets_file(root, name, settings)
        if not path.is_file():
            if settings.secrets_file:
                raise ConfigError(
                    f"environment '{name}': secrets-file {path} does not exist; create it or "
                    "remove the key"
                )
            continue
        found = read_dotenv(path, f"environment '{name}' secrets-file")
        names[name] = sorted(found)
        values.update({secret_key(name, key): value for key, value in found.items()})
    return values, names
