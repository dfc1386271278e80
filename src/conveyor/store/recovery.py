"""Mark runs whose conveyor process died (crash, ``kill -9``, power loss) as interrupted.

A run still ``queued``/``in_progress`` is alive while its process is: on this host, while
its pid runs (and is not a newer process that reused it); from another host, while its
lease has not run out (the process renews it in the background). A run without a lease
(``conveyor test``, older conveyors) seen from another host is dead once its last sign of
life is older than ``stale_after`` seconds. An interrupted run may be resumed.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import NamedTuple, Protocol

from conveyor.engine.status import Conclusion, RunState
from conveyor.store.dbapi import DirectDatabase, Statements

_OPEN = (RunState.QUEUED.value, RunState.IN_PROGRESS.value)
INTERRUPTED_NOTE = "conveyor stopped while the run was in progress (crash or kill)"
_CLOCK_SLACK = 2.0  # /proc start times have 1 s (boot time) + tick resolution


def process_alive(pid: int, not_started_after: float | None = None) -> bool:
    """Whether ``pid`` runs here, is not a zombie and (Linux) started before the given time."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    except OSError:
        return False
    stat = _proc_stat(pid)
    if stat is None:
        return True
    state, started = stat
    if state in ("Z", "X"):
        return False
    return not (
        not_started_after is not None
        and started is not None
        and started > not_started_after + _CLOCK_SLACK
    )


def _proc_stat(pid: int) -> tuple[str, float | None] | None:
    """(state, start time as a POSIX timestamp) from /proc, or None off Linux."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    fields = raw[raw.rfind(")") + 2 :].split()  # skip "pid (comm) "; comm may hold spaces
    if len(fields) < 20:
        return None
    state = fields[0]
    try:
        ticks = int(fields[19])  # field 22 of stat: starttime, in clock ticks since boot
        boot = _boot_time()
        hertz = os.sysconf("SC_CLK_TCK")
    except (ValueError, OSError):
        return state, None
    return state, None if boot is None else boot + ticks / hertz


def _boot_time() -> float | None:
    try:
        for line in Path("/proc/stat").read_text(encoding="utf-8").splitlines():
            if line.startswith("btime "):
                return float(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


class Lease(Protocol):
    """What tells whether a run's process is alive: a run row, or the columns read."""

    @property
    def pid(self) -> int: ...
    @property
    def host(self) -> str: ...
    @property
    def created_at(self) -> float: ...
    @property
    def lease_expires_at(self) -> float | None: ...
    @property
    def heartbeat_at(self) -> float | None: ...


class LeaseColumns(NamedTuple):
    pid: int
    host: str
    created_at: float
    lease_expires_at: float | None
    heartbeat_at: float | None


LEASE_COLUMNS = "pid, host, created_at, lease_expires_at, heartbeat_at"


def lease_is_live(run: Lease, host: str, now: float, stale_after: float) -> bool:
    """Whether the process running ``run`` is alive, as far as this process can tell."""
    if run.host == host and run.pid > 0:
        return process_alive(run.pid, run.created_at)
    if run.lease_expires_at is not None:
        return run.lease_expires_at > now
    last_sign = run.heartbeat_at if run.heartbeat_at is not None else run.created_at
    return now - last_sign <= stale_after


def recover_interrupted(
    database: DirectDatabase, host: str, stale_after: float, now: float | None = None
) -> list[int]:
    """Mark dead runs (and their unfinished jobs and steps) interrupted; returns their ids."""
    now = time.time() if now is None else now
    with database.transaction(write=False) as sql:
        rows = sql.rows(
            f"SELECT id, {LEASE_COLUMNS} FROM runs WHERE status IN (:queued, :running) ORDER BY id",
            {"queued": _OPEN[0], "running": _OPEN[1]},
        )
    dead = [
        row[0] for row in rows if not lease_is_live(LeaseColumns(*row[1:]), host, now, stale_after)
    ]
    for run_id in dead:
        with database.transaction() as sql:
            _mark(sql, run_id)
    return dead


def _mark(sql: Statements, run_id: int) -> None:
    done, interrupted = RunState.COMPLETED.value, Conclusion.INTERRUPTED.value
    found = sql.rows(
        "SELECT status, heartbeat_at, started_at, created_at, note FROM runs WHERE id = :id",
        {"id": run_id},
    )
    if not found or found[0][0] not in _OPEN:
        return  # another process got here first, or the run finished after all
    _status, heartbeat_at, started_at, created_at, note = found[0]
    signs = [heartbeat_at, started_at, created_at]
    for table in ("jobs", "steps"):  # the last thing known to have happened
        signs.append(
            sql.scalar(f"SELECT MAX(started_at) FROM {table} WHERE run_id = :id", {"id": run_id})
        )
    ended = max(sign for sign in signs if sign is not None)
    sql.execute(
        "UPDATE runs SET status = :done, conclusion = :interrupted, ended_at = :ended, "
        "duration = :duration, note = :note WHERE id = :id",
        {
            "done": done,
            "interrupted": interrupted,
            "ended": ended,
            "duration": max(0.0, ended - (started_at or created_at)),
            "note": f"{note}\n{INTERRUPTED_NOTE}".strip(),
            "id": run_id,
        },
    )
    for table in ("jobs", "steps"):
        sql.execute(
            f"UPDATE {table} SET status = :done, conclusion = :interrupted, ended_at = :ended "
            "WHERE run_id = :id AND (status != :done OR conclusion IS NULL)",
            {"done": done, "interrupted": interrupted, "ended": ended, "id": run_id},
        )
