"""Log lines in the history database: written in batches, read in sequence order.

:class:`LogWriter` writes a line at once when lines are sparse (so a follower sees it at
once, and a crash loses nothing), and batches them when they flood: buffered lines are
inserted in one statement when the buffer is full, a few times a second from its own
thread, and before any other event of the run is stored (so a finished step's lines are
always there). :func:`read_lines` is
the one reader, for ``conveyor logs`` (following a run from another process too),
reports and the dashboard.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from conveyor.engine.events import LogLine
from conveyor.store.dbapi import DirectDatabase

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

BATCH = 500
FLUSH_SECONDS = 0.2
_INSERT = (
    "INSERT INTO log_lines (run_id, job_key, step_index, seq, at, stream, text) "
    "VALUES (:run_id, :job_key, :step_index, :seq, :at, :stream, :text)"
)


class LogWriter:
    """Thread-safe buffered inserts into ``log_lines``; ``mask`` is applied to every line."""

    def __init__(
        self,
        database: DirectDatabase,
        mask: Callable[[str], str],
        *,
        tick: Callable[[], None] | None = None,
    ) -> None:
        """``tick``, if given, is called a few times a second from the writer's thread
        instead of :meth:`flush` (and must flush): the owner writes what it batches too."""
        self._database = database
        self._mask = mask
        self._tick = tick or self.flush
        self._lock = threading.Lock()
        self._rows: list[dict[str, object]] = []
        self._flushed = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="log-writer", daemon=True)
        self._thread.start()

    def add(self, line: LogLine) -> None:
        with self._lock:
            self._rows.append(
                {
                    "run_id": line.run_id,
                    "job_key": line.job_key,
                    "step_index": line.step_index,
                    "seq": line.seq,
                    "at": line.at,
                    "stream": line.stream,
                    "text": self._mask(line.text),
                }
            )
            due = len(self._rows) >= BATCH or time.monotonic() - self._flushed >= FLUSH_SECONDS
        if due:
            self.flush()

    def flush(self) -> None:
        with self._lock:
            rows, self._rows = self._rows, []
            if rows:
                self._flushed = time.monotonic()
                with self._database.transaction() as sql:
                    sql.executemany(_INSERT, rows)

    def _loop(self) -> None:
        while not self._stop.wait(FLUSH_SECONDS):
            try:
                self._tick()
            except Exception:  # reported by the next flush on the caller's thread
                continue

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.flush()


def read_lines(
    sessions: sessionmaker[Session],
    run_id: int,
    *,
    job_key: str | None = None,
    step_index: int | None = None,
    job_only: bool = False,
    after_seq: int = 0,
    limit: int | None = None,
    last: int | None = None,
) -> list[LogLine]:
    """Lines of a run in sequence order: of one job (``job_key``), of one of its steps
    (``step_index``) or its own lines (``job_only``); only those after ``after_seq``;
    the first ``limit`` or the ``last`` N."""
    from sqlalchemy import select

    from conveyor.store.models import LogLineRow

    c = LogLineRow.__table__.c  # plain rows: thousands of ORM objects cost more than the query
    query = select(c.run_id, c.job_key, c.step_index, c.text, c.at, c.stream, c.seq).where(
        c.run_id == run_id, c.seq > after_seq
    )
    if job_key is not None:
        query = query.where(LogLineRow.job_key == job_key)
    if step_index is not None:
        query = query.where(LogLineRow.step_index == step_index)
    elif job_only:
        query = query.where(LogLineRow.step_index.is_(None))
    if last is not None:
        query = query.order_by(LogLineRow.seq.desc()).limit(last)
    else:
        query = query.order_by(LogLineRow.seq)
        if limit is not None:
            query = query.limit(limit)
    with sessions() as session:
        rows = list(session.execute(query))
    if last is not None:
        rows.reverse()
    return [LogLine(*row) for row in rows]


def last_seq(database: DirectDatabase, run_id: int) -> int:
    """The highest sequence number stored for the run (0 when none)."""
    with database.transaction(write=False) as sql:
        found = sql.scalar("SELECT MAX(seq) FROM log_lines WHERE run_id = :id", {"id": run_id})
    return int(found or 0)
