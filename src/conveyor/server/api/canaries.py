"""Canary releases: the newest canary of an app in an environment with its analysis
results, and promote / abort (what ``conveyor canary`` does, through
:mod:`conveyor.actions.canary_control`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from conveyor.errors import NotFound
from conveyor.server.api.access import History, Reader, Reviewer, repository_filter
from conveyor.store.canaries import Canary, CanaryResult, CanaryStore
from conveyor.store.recorder import SqlRunStore

router = APIRouter(prefix="/api", tags=["canaries"])


class CanaryAnswer(BaseModel):
    canary: Canary
    results: list[CanaryResult]


class CanaryCommandBody(BaseModel):
    comment: str = Field("", description="Why (recorded with the command).")
    full: bool = Field(False, description="promote: skip every remaining step, switch now.")


class CommandAnswer(BaseModel):
    id: int
    command: str
    done_here: bool  # an abort done by the server: the canary's deploy step was gone
    log: list[str]


def _store(store: SqlRunStore) -> CanaryStore:
    return CanaryStore(store.state_dir, store.url)


def _canary(canaries: CanaryStore, canary_id: int) -> Canary:
    found = canaries.canary(canary_id)
    if found is None:
        raise NotFound(f"no canary {canary_id} (GET /api/canaries?app=A&environment=E)")
    return found


@router.get("/canaries", response_model=CanaryAnswer)
def latest(
    store: History,
    _token: Reader,
    app: str,
    environment: str,
    repository: str | None = None,
) -> dict[str, Any]:
    """The newest canary of ``app`` in ``environment`` (in progress or ended): its step,
    weights and every analysis result so far (``conveyor canary status --json``)."""
    repository_id = repository_filter(store, repository)
    with _store(store) as canaries:
        found = canaries.latest_canary(repository_id, environment, app)
        if found is None:
            raise NotFound(
                f"no canary of app {app} in {environment}: deploy with strategy: canary first"
            )
        return {"canary": found, "results": canaries.results(found.id)}


@router.post("/canaries/{canary_id}/{action}", response_model=CommandAnswer)
def command(
    canary_id: int,
    action: Literal["promote", "abort"],
    body: CanaryCommandBody,
    store: History,
    token: Reviewer,
) -> CommandAnswer:
    """Promote the canary (end the current pause or analysis; ``full``: switch to it now)
    or abort it (its share back to 0); the deploy step running it acts within a moment.
    The token's user is recorded as who decided."""
    from conveyor.actions.canary_control import ask

    name = "promote-full" if action == "promote" and body.full else action
    log: list[str] = []
    with _store(store) as canaries:
        found = _canary(canaries, canary_id)
        done = ask(
            canaries, found, name, by=token.user, reason=body.comment, start=Path.cwd(),
            log=log.append,
        )  # fmt: skip
    return CommandAnswer(id=canary_id, command=name, done_here=done, log=log)
