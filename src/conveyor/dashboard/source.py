"""Where the pages read from: the history database, the state directory, and the
repository's ``conveyor.toml`` and workflows (the workspace the server runs in).

One :class:`Sources` per mounted dashboard; the database is opened on first use and
shared with every other opener of the same URL in the process
(:class:`~conveyor.store.database.StateDatabase`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from conveyor.results.targets import Targets
from conveyor.store.database import StateDatabase
from conveyor.store.deliveries import DeliveryStore
from conveyor.tiers.config import ConveyorConfig

T = TypeVar("T")


@dataclass
class Sources:
    state_dir: Path
    database_url: str | None = None
    workspace: Path = field(default_factory=Path.cwd)  # conveyor.toml, .github/workflows
    _db: StateDatabase | None = None
    _sessions: sessionmaker[Session] | None = None
    _delivery: DeliveryStore | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _cache: dict[str, tuple[float, Any]] = field(default_factory=dict)
    _config: tuple[float, ConveyorConfig] | None = None
    config_error: str = ""  # why conveyor.toml could not be read (the defaults are used)

    def database(self) -> StateDatabase:
        with self._lock:
            if self._db is None:
                self._db = StateDatabase(self.state_dir, self.database_url)
                self._sessions = sessionmaker(self._db.engine)
            return self._db

    @property
    def engine(self) -> Engine:
        return self.database().engine

    @property
    def writer(self) -> Engine:
        return self.database().writer

    def sessions(self) -> sessionmaker[Session]:
        self.database()
        assert self._sessions is not None
        return self._sessions

    def delivery(self) -> DeliveryStore:
        with self._lock:
            if self._delivery is None:
                self._delivery = DeliveryStore(self.state_dir, self.database_url)
            return self._delivery

    def close(self) -> None:
        with self._lock:
            for opened in (self._db, self._delivery):
                if opened is not None:
                    opened.close()
            self._db = self._delivery = None

    def cached(self, key: str, seconds: float, compute: Callable[[], T]) -> T:
        """``compute()``, kept for ``seconds`` (lists of names for the filters)."""
        now = time.monotonic()
        found = self._cache.get(key)
        if found is not None and now - found[0] < seconds:
            return found[1]  # type: ignore[no-any-return]
        value = compute()
        self._cache[key] = (now, value)
        return value

    def config(self) -> ConveyorConfig:
        """The workspace's ``conveyor.toml`` (read again when it changes; the defaults
        when there is none or it cannot be read)."""
        from conveyor.errors import ConveyorError
        from conveyor.tiers.configfile import find_config, load_config

        found = find_config(self.workspace)
        stamp = found[0].stat().st_mtime if found else 0.0
        if self._config is not None and self._config[0] == stamp:
            return self._config[1]
        try:
            config = load_config(start=self.workspace).config
            self.config_error = ""
        except ConveyorError as exc:
            config = ConveyorConfig()
            self.config_error = str(exc)
        self._config = (stamp, config)
        return config

    def targets(self) -> Targets:
        return self.config().targets.to_targets()
