"""Approvals of jobs waiting for a protected environment: what waits, and deciding.

The decider is the token's user, held to the environment's rules as ``conveyor
approve`` is (:func:`conveyor.delivery.approvals.decide`: a listed reviewer, and not the
run's starter with ``prevent-self-review``). Environments are read from the
``conveyor.toml`` found from the server's working directory.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Body
from fastapi import Path as PathParam

from conveyor.server.api.access import History, Reader, Reviewer, repository_filter
from conveyor.server.api.models import Decided, DecisionBody, Pending
from conveyor.server.api.runs import RunId, run_detail
from conveyor.store.recorder import SqlRunStore

router = APIRouter(prefix="/api", tags=["approvals"])


@router.get("/approvals", response_model=list[Pending])
def pending_approvals(
    store: History, _token: Reader, repository: str | None = None
) -> list[Pending]:
    """Jobs of unfinished runs waiting for a decision, oldest request first."""
    from conveyor.store import approvals

    waiting = approvals.pending(store.engine, repository_filter(store, repository))
    return [
        Pending(
            run_id=a.run_id,
            job=a.job_key,
            environment=a.environment,
            reviewers=list(a.reviewers),
            requested_by=a.requested_by,
            requested_at=a.requested_at,
            wait_until=a.wait_until,
        )
        for a in waiting
    ]


@router.post("/approvals/{run_id}/{environment}/{decision}", response_model=Decided)
def decide_approval(
    *,
    run_id: RunId,
    environment: Annotated[str, PathParam(min_length=1)],
    decision: Literal["approve", "reject"],
    store: History,
    token: Reviewer,
    body: Annotated[DecisionBody | None, Body()] = None,
) -> Decided:
    """Approve (or reject) the run's jobs waiting for ``environment``, as the token's
    user; rejected jobs fail, naming who and why."""
    from conveyor.delivery.approvals import decide
    from conveyor.tiers.configfile import load_config

    run_detail(store, run_id)
    root = run_root(store, run_id)
    count = decide(
        store.engine,
        store.writer,
        run_id,
        environment,
        approved=decision == "approve",
        by=token.user,
        comment=body.comment if body is not None else "",
        environments=load_config(start=root).config.environments,
    )
    verdict = "approved" if decision == "approve" else "rejected"
    return Decided(
        run_id=run_id, environment=environment, decision=verdict, jobs=count, by=token.user
    )


def run_root(store: SqlRunStore, run_id: int) -> Path | None:
    """The checkout the run ran in, from its record (None: unknown or gone)."""
    from sqlalchemy import select

    from conveyor.engine.durable import decode_record
    from conveyor.store.models import RunRow

    with store.engine.connect() as connection:
        text = connection.execute(select(RunRow.record).where(RunRow.id == run_id)).scalar()
    if not text:
        return None
    try:
        root = Path(decode_record(text).options.repo.root)
    except ValueError:
        return None
    return root if root.is_dir() else None
