"""Test intelligence: flaky tests, quarantine, stats -- what ``conveyor flaky``,
``conveyor quarantine`` and ``conveyor stats`` give, for one repository or all."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from conveyor.errors import NotFound, UserError
from conveyor.server.api.access import History, Reader, Writer, repository_filter
from conveyor.server.api.models import QuarantineAnswer, QuarantineBody

router = APIRouter(prefix="/api", tags=["tests"])


@router.get("/tests/flaky")
def flaky_tests(
    *,
    store: History,
    _token: Reader,
    repository: str | None = None,
    days: Annotated[float, Query(ge=0, le=3650)] = 30,
    threshold: Annotated[float, Query(ge=0, le=1)] = 0.1,
    runs: Annotated[int, Query(ge=2, le=1000)] = 30,
    branch: str = "main",
) -> list[dict[str, Any]]:
    """Flaky tests (pass and fail on one commit, or a high flip rate), following each
    tier's flaky policy in conveyor.toml (``conveyor flaky --format json``)."""
    from conveyor.results import render
    from conveyor.results.flaky import find_flaky
    from conveyor.tiers.configfile import load_config
    from conveyor.tiers.flakypolicy import detected

    repository_id = repository_filter(store, repository)
    with store.engine.connect() as connection:
        found = find_flaky(
            connection,
            days=days,
            threshold=threshold,
            runs=runs,
            branch=branch,
            repository_id=repository_id,
        )
    return render.flaky_json(detected(found, load_config().config))


@router.post("/tests/quarantine", response_model=QuarantineAnswer)
def quarantine(body: QuarantineBody, store: History, token: Writer) -> QuarantineAnswer:
    """Quarantine a test (it still runs; its failures don't fail its tier) or release
    it."""
    from conveyor.results import quarantine as q
    from conveyor.results.db import ResultsDb
    from conveyor.store.repositories import list_repositories

    repository_id = repository_filter(store, body.repository)
    if repository_id is None:
        with store.engine.connect() as connection:
            known = list_repositories(connection)
        if len(known) != 1:
            names = ", ".join(r.name for r in known) or "none yet"
            raise UserError(f'name the test\'s "repository" (known: {names})')
        repository_id = known[0].id
    with ResultsDb(store.state_dir, store.url) as db:
        if body.quarantined:
            reason = body.reason or f"quarantined by {token.user} (API)"
            changed = q.add(db, repository_id, body.test, reason, by=token.user)
        else:
            changed = q.remove(db, repository_id, body.test)
            if not changed:
                raise NotFound(f"{body.test} is not quarantined (GET /api/tests/quarantine)")
    return QuarantineAnswer(test=body.test, quarantined=body.quarantined, changed=changed)


@router.get("/tests/quarantine")
def quarantined(
    *, store: History, _token: Reader, repository: str | None = None
) -> list[dict[str, Any]]:
    """Quarantined tests (of one repository, or of every one)."""
    import dataclasses

    from conveyor.results import quarantine as q
    from conveyor.store.repositories import list_repositories

    wanted = repository_filter(store, repository)
    with store.engine.connect() as connection:
        ids = [wanted] if wanted is not None else [r.id for r in list_repositories(connection)]
        return [
            {**dataclasses.asdict(entry), "repository_id": repository_id}
            for repository_id in ids
            for entry in q.entries(connection, repository_id)
        ]


@router.get("/stats")
def stats(
    *,
    store: History,
    _token: Reader,
    repository: str | None = None,
    workflow: str | None = None,
    days: Annotated[float, Query(ge=0, le=3650)] = 7,
) -> dict[str, Any]:
    """Success rates, durations, pass rates, flakiness and slowest tests against the
    targets in conveyor.toml (``conveyor stats --format json``); ``workflow`` keeps one
    workflow's line."""
    from conveyor.results import render
    from conveyor.results.stats import compute_stats
    from conveyor.tiers.configfile import load_config

    targets = load_config().config.targets.to_targets()
    with store.engine.connect() as connection:
        found = compute_stats(
            connection,
            days=days,
            targets=targets,
            repository_id=repository_filter(store, repository),
        )
    answer = render.stats_json(found)
    if workflow:
        answer["workflows"] = [
            w for w in answer["workflows"] if workflow in (w.get("workflow"), w.get("path"))
        ]
    return answer
