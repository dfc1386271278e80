"""Run numbers per repository and workflow, given out atomically even by concurrent
processes."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from conveyor.store.models import WorkflowCounter


def next_run_number(session: Session, repository_id: int, workflow_path: str) -> int:
    """Increment and return the workflow's counter inside the caller's write transaction."""
    dialect = session.get_bind().dialect.name
    bump = {"last_number": WorkflowCounter.last_number + 1}
    values = {"repository_id": repository_id, "workflow_path": workflow_path, "last_number": 1}
    keys = ["repository_id", "workflow_path"]
    if dialect == "postgresql":
        pg = postgresql.insert(WorkflowCounter).values(values)
        pg = pg.on_conflict_do_update(index_elements=keys, set_=bump)
        return int(session.execute(pg.returning(WorkflowCounter.last_number)).scalar_one())
    if dialect == "sqlite":
        lite = sqlite.insert(WorkflowCounter).values(values)
        lite = lite.on_conflict_do_update(index_elements=keys, set_=bump)
        return int(session.execute(lite.returning(WorkflowCounter.last_number)).scalar_one())
    # Other databases: lock the counter row (first use of a workflow may race; the
    # unique constraint on runs then rejects the duplicate instead of storing it).
    counter = session.execute(
        select(WorkflowCounter)
        .where(
            WorkflowCounter.repository_id == repository_id,
            WorkflowCounter.workflow_path == workflow_path,
        )
        .with_for_update()
    ).scalar_one_or_none()
    if counter is None:
        session.add(WorkflowCounter(**values))
        session.flush()
        return 1
    counter.last_number += 1
    session.flush()
    return counter.last_number
