"""Page 5, environments: per environment and app what is live (version, digest, commit,
when, who approved), its history with rollbacks and aborted canaries, the newest canary
(its step, weights and analysis results; promote and abort while it runs), approvals
waiting, and the rollback targets. From :class:`conveyor.store.deliveries.DeliveryStore` and
:mod:`conveyor.store.approvals`; the actions go through the API."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from conveyor.dashboard.source import Sources
from conveyor.store.approvals import Approval, pending
from conveyor.store.canaries import ACTIVE, Canary, CanaryResult
from conveyor.store.deliveries import LIVE, SUCCEEDED, Deployment
from conveyor.store.delivery_models import DeploymentRow

HISTORY = 15
CANARY_RESULTS = 12  # the newest analysis results shown


@dataclass(slots=True)
class Target:
    environment: str
    app: str
    live: Deployment | None
    history: list[Deployment] = field(default_factory=list)
    rollback_to: list[str] = field(default_factory=list)  # versions that were live before
    canary: Canary | None = None  # the newest canary, in progress or ended
    canary_results: list[CanaryResult] = field(default_factory=list)  # newest first

    @property
    def canary_active(self) -> bool:
        return self.canary is not None and self.canary.status in ACTIVE


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
        target = Target(environment, app, live, history, earlier)
        target.canary = store.latest_canary(None, environment, app)
        if target.canary is not None:
            results = store.results(target.canary.id)
            target.canary_results = results[::-1][:CANARY_RESULTS]
        page.targets.append(target)
    page.approvals = pending(sources.engine, None)
    return page
