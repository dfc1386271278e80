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
    max_jobs: int = 0  # jobs at once over all runs (0: the number of CPUs, at least 2)
    shutdown_grace: float = 30.0  # seconds running runs get to finish before handed back
    status_api_url: str | None = None  # GitHub-compatible API for commit statuses
    public_url: str | None = None  # where the server is reached (statuses' target_url)
    resume: bool = True  # resume, on start, the runs a stopped server left in progress
