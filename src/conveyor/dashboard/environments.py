"""Page 5, environments: per environment and app what is live (version, digest, commit,
when, who approved), its history with rollbacks, approvals waiting, and the rollback
targets. From :class:`conveyor.store.deliveries.DeliveryStore` and
:mod:`conveyor.store.approvals`; the actions go through the API."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from conveyor.dashboard.source import Sources
from conveyor.store.approvals import Approval, pending
from conveyor.store.deliveries import LIVE, SUCCEEDED, Deployment
from conveyor.store.delivery_models import DeploymentRow

HISTORY = 15


@dataclass(slots=True)
class Target:
    environment: str
    app: str
    live: Deployment | None
    history: list[Deployment] = field(default_factory=list)
    rollback_to: list[str] = field(default_factory=list)  # versions that were live before


@dataclass(slots=True)
class EnvironmentsPage:
    targets: list[Target] = field(default_factory=list)
    approvals: list[Approval] = field(default_factory=list)
    environments: list[str] = field(default_factory=list)
    reviewers: dict[str, list[str]] = field(default_factory=dict)


def environments_page(sources: Sources) -> EnvironmentsPage:
    config = sources.config()
    store = sources.delivery()
    c = DeploymentRow.__table__.c
    with sources.engine.connect() as connection:
        seen = {
            (str(env), str(app))
            for env, app in connection.execute(select(c.environment, c.app).distinct())
        }
    order = list(config.environments)
    order += sorted({env for env, _ in seen} - set(order))
    apps = list(config.apps)
    apps += sorted({app for _, app in seen} - set(apps))
    declared = {(env, app) for env in config.environments for app in config.apps}
    pairs = [(env, app) for env in order for app in apps if (env, app) in seen | declared]
    page = EnvironmentsPage(environments=order)
    page.reviewers = {name: list(env.reviewers) for name, env in config.environments.items()}
    for environment, app in pairs:
        history = store.deployments(None, environment=environment, app=app, limit=HISTORY)
        live = next((d for d in history if d.status == LIVE), None)
        if live is None:
            found = store.deployments(None, environment=environment, app=app, status=LIVE, limit=1)
            live = found[0] if found else None
        earlier: list[str] = []
        for deployment in history:
            was_live = deployment.status in SUCCEEDED and deployment.status != LIVE
            current = live is not None and deployment.version == live.version
            if was_live and not current and deployment.version not in earlier:
                earlier.append(deployment.version)
        page.targets.append(Target(environment, app, live, history, earlier))
    page.approvals = pending(sources.engine, None)
    return page
