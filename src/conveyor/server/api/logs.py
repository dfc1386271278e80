"""A run's logs: JSON lines, or with ``?follow=1`` server-sent events as the run writes.

Each event is ``id: <seq>`` and ``data: {seq, job, step, stream, time, text}``; a client
that reconnects with ``Last-Event-ID`` (or ``?after=``) gets only later lines. When the
run has ended and every line was sent: ``event: end`` with its status and conclusion.
A comment line goes out every 15 s of silence so proxies keep the stream open.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Annotated

import anyio
from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from conveyor.engine.events import LogLine
from conveyor.errors import NotFound
from conveyor.server.api.access import History, Reader
from conveyor.server.api.runs import RunId, run_detail
from conveyor.store.follow import BATCH, POLL_SECONDS, follow_step
from conveyor.store.recorder import SqlRunStore
from conveyor.store.selection import is_wanted, wanted_places

router = APIRouter(prefix="/api", tags=["logs"])
KEEPALIVE_SECONDS = 15.0


class LogEntry(BaseModel):
    seq: int
    job: str
    step: int | None
    stream: str
    time: float
    text: str


class LogPage(BaseModel):
    lines: list[LogEntry]
    after: int  # pass as ?after= for the lines that follow
    more: bool  # a full page: there may be more lines already


def _entry(line: LogLine) -> dict[str, object]:
    return {
        "seq": line.seq,
        "job": line.job_key,
        "step": line.step_index,
        "stream": line.stream,
        "time": line.at,
        "text": line.text,
    }


@router.get(
    "/runs/{run_id}/logs",
    response_model=LogPage,
    responses={200: {"content": {"text/event-stream": {}}}},
)
def run_logs(
    *,
    run_id: RunId,
    request: Request,
    store: History,
    _token: Reader,
    job: Annotated[str | None, Query(description="Job key, job id or a prefix.")] = None,
    step: Annotated[str | None, Query(description="The step's number or name.")] = None,
    after: Annotated[int, Query(ge=0, le=2**63 - 1, description="Lines after this seq.")] = 0,
    follow: Annotated[bool, Query(description="1: server-sent events until it ends.")] = False,
    limit: Annotated[int, Query(ge=1, le=BATCH)] = BATCH,
    last_event_id: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> LogPage | StreamingResponse:
    """The run's log lines in order (of one job or step), or with ``follow=1`` a stream
    of server-sent events that ends with ``event: end`` when the run has ended."""
    detail = run_detail(store, run_id)
    if detail.run.logs_removed_at is not None:
        raise NotFound(
            f"the logs of run {run_id} were removed by `conveyor gc`; GET /api/runs/{run_id} "
            "still has its jobs, steps and outputs"
        )
    wanted = wanted_places(detail, job, step)  # a 400 now for a job the run never had
    if last_event_id and last_event_id.strip().isdigit():
        after = max(after, int(last_event_id.strip()))
    if follow:
        return StreamingResponse(
            _events(request, store, run_id, after, job, step),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
    batch = store.lines(run_id, after_seq=after, limit=limit)
    chosen = [line for line in batch if is_wanted(line.job_key, line.step_index, wanted)]
    return LogPage(
        lines=[LogEntry.model_validate(_entry(line)) for line in chosen],
        after=batch[-1].seq if batch else after,
        more=len(batch) >= limit,
    )


async def _events(  # noqa: PLR0917
    request: Request,
    store: SqlRunStore,
    run_id: int,
    after: int,
    job: str | None,
    step: str | None,
) -> AsyncIterator[str]:
    quiet_since = time.monotonic()
    yield "retry: 1000\n\n"
    while True:
        found = await anyio.to_thread.run_sync(follow_step, store, run_id, after, job, step)
        after = found.after
        for line in found.lines:
            yield f"id: {line.seq}\ndata: {json.dumps(_entry(line))}\n\n"
        if found.lines:
            quiet_since = time.monotonic()
        if found.ended:
            end = {"run_id": run_id, "status": found.status, "conclusion": found.conclusion}
            yield f"event: end\nid: {after}\ndata: {json.dumps(end)}\n\n"
            return
        if await request.is_disconnected():
            return
        if time.monotonic() - quiet_since >= KEEPALIVE_SECONDS:
            quiet_since = time.monotonic()
            yield ": keep-alive\n\n"
        if not found.full:
            await anyio.sleep(POLL_SECONDS)
