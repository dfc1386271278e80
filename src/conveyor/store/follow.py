"""Following a run's logs as it writes them, from any process: one step of the loop
``conveyor logs --follow`` and the API's server-sent events both run.

A step reads whether the run had ended *before* reading the lines (so when it says
ended, every line is in the batch or an earlier one), then the lines after the last one
seen, then -- when a job or step is chosen -- the run's jobs *after* the lines (a line is
stored after its job starts, so no line of a job that starts meanwhile is dropped).
"""

from __future__ import annotations

from dataclasses import dataclass

from conveyor.engine.events import LogLine
from conveyor.store.recorder import SqlRunStore
from conveyor.store.selection import is_wanted, wanted_places

BATCH = 1000
POLL_SECONDS = 0.2


@dataclass(frozen=True, slots=True)
class FollowStep:
    lines: list[LogLine]  # the chosen lines among those read
    after: int  # the sequence number to read after next time
    ended: bool  # the run has ended and every line was read
    status: str = ""  # the run's status and conclusion when it ended
    conclusion: str | None = None
    full: bool = False  # a whole batch was read: read again at once


def follow_step(
    store: SqlRunStore, run_id: int, after: int, target: str | None, step: str | None
) -> FollowStep:
    before = store.get_run(run_id)
    ended = before is None or before.run.status == "completed"
    batch = store.lines(run_id, after_seq=after, limit=BATCH)
    wanted = None
    if target or step:
        detail = store.get_run(run_id)
        wanted = wanted_places(detail, target, step) if detail is not None else None
    chosen = [line for line in batch if is_wanted(line.job_key, line.step_index, wanted)]
    last = batch[-1].seq if batch else after
    done = ended and not batch
    return FollowStep(
        lines=chosen,
        after=last,
        ended=done,
        status=before.run.status if before is not None else "",
        conclusion=before.run.conclusion if before is not None else None,
        full=len(batch) >= BATCH,
    )
