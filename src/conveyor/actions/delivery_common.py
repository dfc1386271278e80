"""What the delivery actions share: ``conveyor.toml``'s apps and environments (errors name
the file and line), the delivery store, the run's repository, the job's environment."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from conveyor.actions.common import InputError, get_input
from conveyor.delivery.settings import NAME, AppSettings, EnvironmentSettings
from conveyor.engine.contexts import ENVIRONMENT_ENV
from conveyor.engine.ports import ActionContext
from conveyor.errors import ConfigError
from conveyor.store.deliveries import DeliveryStore
from conveyor.tiers.configfile import LoadedConfig, find_config, find_line, load_config


@dataclass(frozen=True, slots=True)
class DeliveryConfig:
    """``[apps.*]`` and ``[environments.*]`` of the ``conveyor.toml`` a job sees."""

    loaded: LoadedConfig

    def _where(self, *key: str) -> str:
        """``file:line`` of the table ``key`` (or of the first of its sub-tables, e.g.
        the first ``[apps.<name>]`` for ``apps``)."""
        path = self.loaded.path
        if path is None:
            return f"no conveyor.toml (looked from {self.loaded.root})"
        try:
            text = path.read_text(encoding="utf-8")
        except OSError:
            return str(path)
        config = self.loaded.config
        known = config.apps if key[0] == "apps" else config.environments
        candidates = [[*key]] if len(key) > 1 else [[key[0], name] for name in known]
        lines = [line for c in candidates if (line := find_line(text, c)) is not None]
        return f"{path}:{min(lines)}" if lines else str(path)

    def app(self, name: str) -> AppSettings:
        found = self.loaded.config.apps.get(name)
        if found is None:
            raise self._unknown("apps", "app", name, 'with its provider (provider = "process")')
        return found

    def environment(self, name: str) -> EnvironmentSettings:
        found = self.loaded.config.environments.get(name)
        if found is None:
            raise self._unknown("environments", "environment", name, "")
        return found

    def _unknown(self, table: str, what: str, name: str, advice: str) -> ConfigError:
        known = ", ".join(sorted(getattr(self.loaded.config, table))) or "none"
        return ConfigError(
            f"{self._where(table)}: unknown {what} {name!r} (known {table}: {known}); "
            f"declare it in conveyor.toml as [{table}.{name}]" + (f" {advice}" if advice else "")
        )

    def app_line(self, name: str) -> str:
        """``file:line`` of ``[apps.<name>]``, for messages about its settings."""
        return self._where("apps", name)


def delivery_config(context: ActionContext) -> DeliveryConfig:
    """The ``config`` input's file, else the conveyor.toml found from the job's workspace,
    else from the repository."""
    given = get_input(context, "config")
    if given:
        return DeliveryConfig(load_config(Path(context.workspace) / given))
    for start in (Path(context.workspace), Path(context.repository_root)):
        if find_config(start) is not None:
            return DeliveryConfig(load_config(start=start))
    return DeliveryConfig(load_config(start=Path(context.workspace)))


def name_input(context: ActionContext, key: str, *, default: str = "") -> str:
    """A required app or environment name input, checked."""
    value = get_input(context, key) or default
    if not value:
        raise InputError(f"input '{key}' is required")
    if not NAME.match(value):
        raise InputError(f"input '{key}': {value!r} is not a name (letters, digits, . _ -)")
    return value


def job_environment(context: ActionContext, key: str = "environment") -> str:
    """The ``environment`` input, else the job's environment (``$CONVEYOR_ENVIRONMENT``)."""
    given = get_input(context, key) or context.env.get(ENVIRONMENT_ENV, "").strip()
    if not given:
        raise InputError(
            f"input '{key}' is required when the job has no environment "
            "(set jobs.<job_id>.environment, or give the input)"
        )
    return name_input(context, key, default=given)


def open_store(context: ActionContext) -> DeliveryStore:
    """The delivery store, writing reasons through the run's masker."""
    return DeliveryStore(context.state_dir, masker=context.masker)


def run_repository(store: DeliveryStore, context: ActionContext) -> int:
    """The repository of the step's run in the history database."""
    found = store.run_repository(context.run_id)
    if found is None:
        raise InputError(f"run {context.run_id} is not in the history database {store.shown_url}")
    return found


def split_words(text: str) -> list[str]:
    """A list input: items separated by commas, spaces or lines."""
    return [word for word in re.split(r"[\s,]+", text) if word]
