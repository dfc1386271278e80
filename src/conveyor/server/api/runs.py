"""Runs: list and filter, one run with its jobs and steps, its test report; cancel,
re-run and dispatch through the server's run queue (``app.state.queue``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, HTTPException, Path, Query, Request

from conveyor.engine.status import Conclusion, RunState
from conveyor.errors import Conflict, NotFound, UsageError
from conveyor.reporting.model import Report
from conveyor.server.api.access import History, Reader, Writer, repository_filter
from conveyor.server.api.models import Accepted, DispatchBody, RerunBody, RunPage
from conveyor.server.queue import RunQueue
from conveyor.store.queries import RunDetail
from conveyor.store.recorder import SqlRunStore

router = APIRouter(prefix="/api", tags=["runs"])
RunId = Annotated[int, Path(ge=1, le=2**63 - 1, description="The run's id.")]
_STATUSES = (*(s.value for s in RunState), *(c.value for c in Conclusion))


def run_detail(store: SqlRunStore, run_id: int) -> RunDetail:
    """The run, or a 404 naming the newest runs."""
    detail = store.get_run(run_id)
    if detail is None:
        recent = ", ".join(str(r.id) for r in store.list_runs(limit=5)) or "none yet"
        raise NotFound(f"no run {run_id}; the newest runs: {recent} (GET /api/runs)")
    return detail


@router.get("/runs", response_model=RunPage)
def list_runs(
    *,
    store: History,
    _token: Reader,
    repository: Annotated[str | None, Query(description="Repository name or key.")] = None,
    workflow: Annotated[str | None, Query(description="Workflow name, path or file.")] = None,
    branch: str | None = None,
    event: str | None = None,
    status: Annotated[
        str | None, Query(description="A status or a conclusion: " + ", ".join(_STATUSES))
    ] = None,
    actor: Annotated[str | None, Query(description="Who started the run.")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    before: Annotated[
        int | None, Query(ge=1, le=2**63 - 1, description="Only runs older than this run id.")
    ] = None,
) -> RunPage:
    """Runs, newest first, a page at a time (``next_before`` gives the next page)."""
    if status is not None and status not in _STATUSES:
        raise UsageError(f"status {status!r}: not a status; one of: {', '.join(_STATUSES)}")
    found = store.list_runs(
        repository_id=repository_filter(store, repository),
        workflow=workflow,
        status=status,
        limit=limit + 1,
        event=event,
        branch=branch,
        actor=actor,
        before=before,
    )
    more = len(found) > limit
    page = found[:limit]
    return RunPage(runs=page, next_before=page[-1].id if more and page else None)


@router.get("/runs/{run_id}", response_model=RunDetail)
def get_run(run_id: RunId, store: History, _token: Reader) -> RunDetail:
    """The run with its jobs (needs, outputs, conclusions, durations), their steps and
    annotations -- what ``conveyor show RUN --format json`` prints."""
    return run_detail(store, run_id)


@router.get("/runs/{run_id}/tests", response_model=Report, tags=["tests"])
def run_tests(run_id: RunId, store: History, _token: Reader) -> Report:
    """The run's test report: verdict, tiers, failures, flaky tests, recommendations
    (``conveyor report RUN --format json``)."""
    from conveyor.reporting.build import build_report

    run_detail(store, run_id)
    with store.engine.connect() as connection:
        return build_report(connection, run_id, state_dir=store.state_dir)


def _queue(request: Request) -> RunQueue:
    queue: RunQueue | None = getattr(request.app.state, "queue", None)
    if queue is None:
        raise HTTPException(503, "this server has no run queue (start it with `conveyor serve`)")
    return queue


@router.post("/runs/{run_id}/cancel", response_model=Accepted, status_code=202)
def cancel_run(run_id: RunId, request: Request, store: History, token: Writer) -> Accepted:
    """Cancel the run: its jobs stop (their process groups are killed), it ends
    ``cancelled``."""
    detail = run_detail(store, run_id)
    if detail.run.status == RunState.COMPLETED.value:
        raise Conflict(f"run {run_id} has already finished ({detail.run.conclusion})")
    if not _queue(request).cancel(run_id):
        raise Conflict(
            f"run {run_id} is {detail.run.status} but not running on this server "
            f"(pid {detail.run.pid}@{detail.run.host}); cancel it where it runs"
        )
    return Accepted(run_id=run_id, run_ids=[run_id], detail=f"cancelling (by {token.user})")


@router.post("/runs/{run_id}/rerun", response_model=Accepted, status_code=202)
def rerun_run(
    *,
    run_id: RunId,
    request: Request,
    store: History,
    token: Writer,
    body: Annotated[RerunBody | None, Body()] = None,
) -> Accepted:
    """Run the run again (a new attempt), or only its failed jobs (``failed_only``)."""
    run_detail(store, run_id)
    failed_only = body.failed_only if body is not None else False
    ids = _queue(request).rerun(run_id, failed_only)
    what = "failed jobs of the " if failed_only else ""
    return Accepted(
        run_id=ids[0] if ids else None,
        run_ids=ids,
        detail=f"re-running the {what}run {run_id} (by {token.user})",
    )


@router.post(
    "/repos/{name:path}/dispatch", response_model=Accepted, status_code=202, tags=["repositories"]
)
def dispatch(
    *,
    name: Annotated[str, Path(min_length=1, description="The repository's name.")],
    body: DispatchBody,
    request: Request,
    token: Writer,
) -> Accepted:
    """A ``workflow_dispatch`` event for the workflow at ``ref`` with ``inputs`` (typed
    and checked as ``conveyor trigger workflow_dispatch`` does); the runs are queued."""
    from conveyor.server.dispatch import dispatch as start

    ids = start(
        _queue(request),
        name,
        workflow=body.workflow,
        ref=body.ref,
        inputs=body.inputs,
        actor=token.user,
    )
    what = f"run {', '.join(map(str, ids))}" if ids else "nothing: the workflow did not fire"
    return Accepted(
        run_id=ids[0] if ids else None,
        run_ids=ids,
        detail=f"dispatched {body.workflow} (by {token.user}): {what}",
    )
