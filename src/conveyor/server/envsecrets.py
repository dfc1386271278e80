"""The webhook secrets and API tokens the server reads from its environment, taken out of
it: steps inherit the server's environment, so a variable named by ``conveyor repos add
--webhook-secret-env``/``--token-env`` is moved into this process's memory when the server
starts (or when a repository registered later first needs it) and is gone from
``os.environ`` before any step of a later run starts."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable


class EnvSecrets:
    def __init__(self) -> None:
        self._values: dict[str, str] = {}
        self._lock = threading.Lock()

    def take(self, names: Iterable[str | None]) -> None:
        for name in names:
            if name:
                self.get(name)

    def get(self, name: str) -> str | None:
        """The value of ``$name`` (removed from the environment on first use)."""
        with self._lock:
            if name not in self._values:
                value = os.environ.pop(name, None)
                if value is None:
                    return None
                self._values[name] = value
            return self._values[name]
