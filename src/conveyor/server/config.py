"""What a server is started with: where its state and history live, how it runs jobs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class ServerConfig:
    state_dir: Path  # mirrors, workspaces, logs, artifacts (and the SQLite database)
    database_url: str | None = None  # None: $CONVEYOR_DATABASE_URL, else SQLite in state_dir
    executor: str = "local"  # local | process | celery
    host: str = "127.0.0.1"
    port: int = 8080
    max_body_bytes: int = 25 * 1024 * 1024  # GitHub's own webhook payload cap
    schedules: bool = True  # run the schedule daemon inside the server
