"""Where a run's folders are in a state directory (shared by the tiers, reporting and e2e
tests): ``<state>/<area>/<run key>``, the key from the run's row."""

from __future__ import annotations

from pathlib import Path

from conveyor.results.db import ResultsDb
from conveyor.store.repositories import run_folder_key


def run_folder(state: Path, run_id: int, url: str | None = None) -> str:
    """The folder name of run ``run_id`` (see conveyor.engine.runkeys)."""
    with ResultsDb(state, url) as db, db.read() as connection:
        key = run_folder_key(connection, run_id)
    assert key is not None, f"run {run_id} is not recorded in {state}"
    return key
