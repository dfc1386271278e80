"""Where conveyor keeps its state: the ``.conveyor`` directory, the database URL, log files."""

from __future__ import annotations

import os
import re
from pathlib import Path

STATE_DIR_NAME = ".conveyor"
DB_FILE_NAME = "conveyor.db"
LOGS_DIR_NAME = "logs"
JOB_LOG_NAME = "job.log"
HOME_ENV = "CONVEYOR_HOME"
DATABASE_URL_ENV = "CONVEYOR_DATABASE_URL"

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_MAX_NAME = 80


def git_root(start: Path) -> Path | None:
    """The nearest directory at or above ``start`` holding ``.git`` (a directory or a file)."""
    current = start.resolve()
    for candidate in (current, *current.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


def default_state_dir(start: Path | None = None) -> Path:
    """``$CONVEYOR_HOME``, else ``.conveyor`` under the git root of ``start`` (default: cwd),
    else ``.conveyor`` under ``start``."""
    home = os.environ.get(HOME_ENV, "").strip()
    if home:
        return Path(home).expanduser()
    base = Path.cwd() if start is None else start
    return (git_root(base) or base.resolve()) / STATE_DIR_NAME


def resolve_state_dir(state_dir: str | os.PathLike[str] | None = None) -> Path:
    """``state_dir`` (default: :func:`default_state_dir`), ``~`` expanded, absolute."""
    chosen = Path(state_dir) if state_dir is not None else default_state_dir()
    return chosen.expanduser().resolve()


def ensure_state_dir(state_dir: Path) -> Path:
    """Create the state directory, with a ``.gitignore`` of ``*`` so that ``git add -A`` in
    the user's repository never picks up conveyor's database, logs or workspaces."""
    state_dir.mkdir(parents=True, exist_ok=True)
    ignore = state_dir / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# created by conveyor: its state is never committed\n*\n")
    return state_dir


def sqlite_url(state_dir: Path) -> str:
    return f"sqlite:///{(state_dir / DB_FILE_NAME).resolve()}"


def database_url(state_dir: Path, url: str | None = None) -> str:
    """The URL to use: ``url``, else ``$CONVEYOR_DATABASE_URL``, else SQLite in the state dir.

    ``postgresql://`` URLs get the psycopg (v3) driver, the one conveyor installs.
    """
    chosen = url or os.environ.get(DATABASE_URL_ENV, "").strip() or sqlite_url(state_dir)
    return driver_url(chosen)


def driver_url(url: str) -> str:
    """``url`` with the psycopg (v3) driver for ``postgresql://`` and ``postgres://``,
    the PostgreSQL driver conveyor installs; other URLs as they are."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def sanitize(name: str, fallback: str = "_") -> str:
    """A file-name-safe version of ``name``: ``test (3.12, ubuntu)`` -> ``test_3.12_ubuntu``."""
    cleaned = _UNSAFE.sub("_", name).strip("._")[:_MAX_NAME].rstrip("._")
    return cleaned or fallback


def step_log_name(step_index: int, step_name: str) -> str:
    return f"{step_index}-{sanitize(step_name, 'step')}.log"
