"""Deciding on jobs that wait for an environment: only a reviewer may, and (with
``prevent-self-review``) not the person who started the run. Every decision is recorded
with who, when and why."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Engine

from conveyor.delivery.settings import EnvironmentSettings
from conveyor.errors import Conflict, Forbidden, NotFound
from conveyor.store import approvals


def _same(a: str, b: str) -> bool:
    return a.strip().lower() == b.strip().lower()


def decide(
    engine: Engine,
    writer: Engine,
    run_id: int,
    environment: str,
    *,
    approved: bool,
    by: str,
    comment: str,
    environments: Mapping[str, EnvironmentSettings],
) -> int:
    """Approve (or reject) what run ``run_id`` waits for in ``environment``; returns how
    many jobs were decided. A ``UserError`` (exit 2: ``NotFound``, ``Conflict`` or
    ``Forbidden``, which the API answers 404, 409, 403) says why it is refused."""
    requests = approvals.of_run(engine, run_id, environment)
    if not requests:
        raise NotFound(
            f"run {run_id} has no job waiting for environment '{environment}'; see conveyor pending"
        )
    waiting = [r for r in requests if r.status == approvals.WAITING]
    if not waiting:
        last = requests[-1]
        raise Conflict(
            f"run {run_id}'s jobs for '{environment}' were already {last.status} by "
            f"{last.decided_by}"
        )
    reviewers = waiting[0].reviewers
    if not any(_same(by, reviewer) for reviewer in reviewers):
        raise Forbidden(
            f"{by} may not decide for '{environment}': its reviewers are "
            f"{', '.join(reviewers)} (pass --as NAME if you are one of them)"
        )
    settings = environments.get(environment)
    if settings is not None and settings.prevent_self_review and approved:
        starters = {r.requested_by for r in waiting}
        if any(_same(by, starter) for starter in starters):
            raise Forbidden(
                f"{by} started run {run_id} and '{environment}' has prevent-self-review: "
                "another reviewer must approve"
            )
    status = approvals.APPROVED if approved else approvals.REJECTED
    return approvals.decide(writer, run_id, environment, status=status, by=by, comment=comment)
