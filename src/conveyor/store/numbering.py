"""Run numbers per repository and workflow, given out atomically even by concurrent
processes."""

from __future__ import annotations

from conveyor.store.dbapi import Statements


def next_run_number(sql: Statements, repository_id: int, workflow_path: str) -> int:
    """Increment and return the workflow's counter inside the caller's write transaction
    (one upsert: SQLite and PostgreSQL both take ``ON CONFLICT ... RETURNING``)."""
    number = sql.scalar(
        "INSERT INTO workflow_counters (repository_id, workflow_path, last_number) "
        "VALUES (:repository_id, :workflow_path, 1) "
        "ON CONFLICT (repository_id, workflow_path) "
        "DO UPDATE SET last_number = workflow_counters.last_number + 1 "
        "RETURNING last_number",
        {"repository_id": repository_id, "workflow_path": workflow_path},
    )
    return int(number)
