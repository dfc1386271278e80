"""Opening the history database (same one as the run store) for the results commands."""

from __future__ import annotations

import os
from pathlib import Path
from types import TracebackType

from sqlalchemy import Connection, Engine

from conveyor.store.database import WRITE_OPTION, create_db_engine, migrate
from conveyor.store.paths import database_url, default_state_dir, ensure_state_dir


class ResultsDb:
    """An engine on ``url`` (else ``$CONVEYOR_DATABASE_URL``, else SQLite in ``state_dir``),
    migrated to the newest schema."""

    def __init__(
        self, state_dir: str | os.PathLike[str] | None = None, url: str | None = None
    ) -> None:
        chosen = Path(state_dir) if state_dir is not None else default_state_dir()
        self.state_dir = chosen.expanduser().resolve()
        ensure_state_dir(self.state_dir)
        self.url = database_url(self.state_dir, url)
        self.engine: Engine = create_db_engine(self.url)
        migrate(self.engine, self.state_dir)
        self.writer: Engine = self.engine.execution_options(**{WRITE_OPTION: True})

    def read(self) -> Connection:
        return self.engine.connect()

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> ResultsDb:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
