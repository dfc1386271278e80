"""The environments' protection rules, as the engine's :class:`EnvironmentGate`.

Before a job of an environment starts: its deployment policy (branch and tag patterns,
and "the tag's commit must be on branch X") refuses it with the rule it misses; required
reviewers make it wait until one of them approves (``conveyor approve``) or refuses it
(``conveyor reject``); a wait timer makes it wait that long after it first asked. Jobs
that start get the environment's ``vars`` and secrets. An environment conveyor.toml does
not describe has no rules (GitHub creates such environments on first use).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from conveyor.delivery.settings import DeployFrom, EnvironmentSettings
from conveyor.engine.ports import GateDecision, GateQuery
from conveyor.filters import matches_any
from conveyor.git.ancestry import commit_on_branch

if TYPE_CHECKING:
    from sqlalchemy import Engine

PROCEED, WAIT, REFUSE = "proceed", "wait", "refuse"


def secret_key(environment: str, name: str) -> str:
    """The name the run's secret source holds an environment's secret under."""
    return f"env:{environment}:{name}"


def policy_miss(rule: DeployFrom | None, ref: str, sha: str, root: Path) -> str:
    """Why ``ref`` (at ``sha``) may not be deployed under ``rule``; "" when it may."""
    if rule is None:
        return ""
    allowed = [f"branches {', '.join(rule.branches)}"] if rule.branches else []
    if rule.tags:
        on = f" whose commit is on '{rule.on_branch}'" if rule.on_branch else ""
        allowed.append(f"tags {', '.join(rule.tags)}{on}")
    may = f"may be deployed only from {' or '.join(allowed) or 'nowhere'}"
    if ref.startswith("refs/tags/"):
        name, patterns, kind = ref.removeprefix("refs/tags/"), rule.tags, "tag"
    elif ref.startswith("refs/heads/"):
        name, patterns, kind = ref.removeprefix("refs/heads/"), rule.branches, "branch"
    else:
        return f"{may}; {ref} is neither a branch nor a tag"
    if not patterns or not matches_any(patterns, name, kind="ref"):
        return f"{may}; {kind} '{name}' is not one of them"
    if kind == "tag" and rule.on_branch and not commit_on_branch(root, sha, rule.on_branch):
        return f"{may}; tag '{name}' (commit {sha[:7]}) is not on '{rule.on_branch}'"
    return ""


def reviewers_of(settings: EnvironmentSettings, teams: Mapping[str, Sequence[str]]) -> list[str]:
    """Who may approve: the reviewers, with each team replaced by its members."""
    found: list[str] = []
    for name in settings.reviewers:
        found.extend(teams.get(name, [name]))
    return list(dict.fromkeys(found))


class EnvironmentRules:
    """:class:`~conveyor.engine.ports.EnvironmentGate` over conveyor.toml's environments.

    ``secrets`` names, per environment, the secrets its file gave (held by the run's
    secret source under :func:`secret_key`); ``writer`` gives the history database's
    writer, taken (with SQLAlchemy) only when an environment asks for an approval."""

    def __init__(
        self,
        environments: Mapping[str, EnvironmentSettings],
        teams: Mapping[str, Sequence[str]],
        writer: Callable[[], Engine],
        root: Path,
        secrets: Mapping[str, Sequence[str]],
    ) -> None:
        self._environments = environments
        self._teams = teams
        self._writer = writer
        self._root = root
        self._secrets = secrets

    def admit(self, query: GateQuery) -> GateDecision:
        environment = query.environment
        settings = self._environments.get(environment)
        if settings is None:
            return GateDecision(PROCEED)
        miss = policy_miss(settings.deploy_from, query.ref, query.sha, self._root)
        if miss:
            return GateDecision(REFUSE, f"environment '{environment}' {miss}")
        proceed = GateDecision(
            PROCEED,
            vars=dict(settings.vars),
            secrets={
                name: secret_key(environment, name) for name in self._secrets.get(environment, ())
            },
        )
        reviewers = reviewers_of(settings, self._teams)
        if not reviewers and settings.wait_timer <= 0:
            return proceed
        from conveyor.store import approvals

        request = approvals.request(
            self._writer(),
            query.run_id,
            query.job_key,
            environment,
            reviewers=reviewers,
            requested_by=query.actor,
            wait_seconds=settings.wait_timer,
        )
        if request.status == approvals.REJECTED:
            why = f": {request.comment}" if request.comment else ""
            return GateDecision(REFUSE, f"rejected by {request.decided_by}{why}")
        if request.status == approvals.WAITING:
            return GateDecision(
                WAIT,
                f"waiting for approval ({environment}): conveyor approve {query.run_id} "
                f"--env {environment}",
            )
        left = (request.wait_until or 0) - time.time()
        if left > 0:
            until = time.strftime("%H:%M:%S UTC", time.gmtime(request.wait_until or 0))
            return GateDecision(
                WAIT,
                f"waiting for the wait timer ({environment}) until {until}",
                retry_after=min(left, 2.0),
            )
        return proceed
