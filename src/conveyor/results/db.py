"""Opening the history database (same one as the run store) for the results commands."""

from __future__ import annotations

from sqlalchemy import Connection

from conveyor.store.database import StateDatabase


class ResultsDb(StateDatabase):
    """An engine on ``url`` (else ``$CONVEYOR_DATABASE_URL``, else SQLite in ``state_dir``),
    migrated to the newest schema."""

    def read(self) -> Connection:
        return self.engine.connect()
