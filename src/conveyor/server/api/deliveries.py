"""Deployments (what is live, and the history) and rolling an app back.

A rollback runs the one procedure ``conveyor rollback`` runs
(:func:`conveyor.actions.delivery_wiring.manual_rollback`) with the ``conveyor.toml``
found from the server's working directory.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from pydantic import BaseModel

from conveyor.errors import UserError
from conveyor.server.api.access import History, Reader, Reviewer, repository_filter
from conveyor.server.api.models import RollbackBody
from conveyor.store.deliveries import DeliveryStore, Deployment
from conveyor.store.recorder import SqlRunStore

router = APIRouter(prefix="/api", tags=["deployments"])


class Deployments(BaseModel):
    live: list[Deployment]
    history: list[Deployment]


class RolledBackAnswer(BaseModel):
    deployment: Deployment  # the restored version, live
    replaced: Deployment  # the one that was live, now rolled back
    log: list[str]


def _deliveries(store: SqlRunStore) -> DeliveryStore:
    return DeliveryStore(store.state_dir, store.url)


@router.get("/deployments", response_model=Deployments)
def list_deployments(
    store: History,
    _token: Reader,
    app: str | None = None,
    environment: str | None = None,
    repository: str | None = None,
    limit: int = 100,
) -> Deployments:
    """What is live per environment and app, then the history, newest first (``conveyor
    deployments --json``)."""
    from conveyor.store.deliveries import LIVE

    repository_id = repository_filter(store, repository)
    with _deliveries(store) as deliveries:
        found = deliveries.deployments(repository_id, environment=environment, app=app)
    live = [d for d in found if d.status == LIVE]
    return Deployments(live=live, history=found[: max(1, limit)])


@router.post("/deployments/rollback", response_model=RolledBackAnswer)
def rollback(body: RollbackBody, store: History, token: Reviewer) -> RolledBackAnswer:
    """Move the app's live alias in the environment back (to ``version``, default the
    one live before), with no rebuild; recorded as a deployment of its own."""
    from conveyor.actions.delivery_common import DeliveryConfig
    from conveyor.actions.delivery_wiring import manual_rollback
    from conveyor.tiers.configfile import load_config

    repository_id = repository_filter(store, body.repository)
    log: list[str] = []
    with _deliveries(store) as deliveries:
        if repository_id is None:
            owners = {
                d.repository_id
                for d in deliveries.deployments(None, environment=body.environment, app=body.app)
            }
            if len(owners) > 1:
                raise UserError(
                    f"{body.app} in {body.environment} is deployed from {len(owners)} "
                    'repositories: name one with "repository"'
                )
            repository_id = owners.pop() if owners else 0
        done = manual_rollback(
            deliveries,
            DeliveryConfig(load_config(start=Path.cwd())),
            repository_id=repository_id,
            app=body.app,
            environment=body.environment,
            to_version=body.version,
            force=body.force,
            reason=body.reason or f"rolled back by {token.user} (API)",
            log=log.append,
        )
    return RolledBackAnswer(deployment=done.deployment, replaced=done.replaced, log=log)
