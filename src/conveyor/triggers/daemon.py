"""The scheduler: fire ``schedule`` workflows on time, once per slot, across restarts.

* It sleeps until the earliest next slot of all crons (no per-second polling).
* Each slot is *claimed* in the database before it fires, for the entry's repository; a
  slot someone already claimed for that repository (an earlier run of the daemon,
  another daemon, ``--once-at``) is skipped. Another repository's claim of the same
  workflow path and slot is its own.
* On start the newest missed slot of each cron is caught up once, when it is younger
  than ``grace``; older ones are dropped.
* :meth:`Scheduler.stop` (SIGTERM) cancels the runs in progress; they are recorded as
  ``cancelled``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from conveyor.triggers.clock import Clock
from conveyor.workflow.cron import fire_times, latest_fire_time

DEFAULT_GRACE = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class ScheduleEntry:
    """One ``on.schedule`` item of one workflow."""

    workflow_path: str  # relative to the repository root: the key of firing records
    name: str
    cron: str
    timezone: str | None = None
    repository: str = ""  # the repository's history key (conveyor.git.identity)

    def next_after(self, when: datetime) -> datetime:
        return next(fire_times(self.cron, self.timezone, when))


class Firings(Protocol):
    def claim(self, repository: str, workflow_path: str, cron: str, slot: int) -> bool: ...

    def finish(
        self,
        repository: str,
        workflow_path: str,
        cron: str,
        slot: int,
        *,
        status: str,
        note: str = "",
    ) -> None: ...


FireFn = Callable[[ScheduleEntry, datetime, threading.Event], str]
"""Runs the workflow for a slot; returns success/failure/cancelled. Set event: cancel."""


ON_TIME = timedelta(minutes=1)


def minute(when: datetime) -> datetime:
    return when.astimezone(UTC).replace(second=0, microsecond=0)


class Scheduler:
    def __init__(
        self,
        entries: list[ScheduleEntry],
        firings: Firings,
        fire: FireFn,
        clock: Clock,
        *,
        grace: timedelta = DEFAULT_GRACE,
        log: Callable[[str], None] = lambda _text: None,
    ) -> None:
        self.entries = entries
        self.firings = firings
        self.fire = fire
        self.clock = clock
        self.grace = grace
        self.log = log
        self.stopping = threading.Event()
        self._cancel = threading.Event()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    # ------------------------------------------------------------ firing

    def launch(self, entry: ScheduleEntry, slot: datetime) -> bool:
        """Claim the slot and start its run in a thread; False when already claimed."""
        stamp = int(slot.timestamp())
        if not self.firings.claim(entry.repository, entry.workflow_path, entry.cron, stamp):
            self.log(f"skip {entry.workflow_path} [{entry.cron}] {slot:%Y-%m-%d %H:%M}Z: fired")
            return False
        self.log(f"fire {entry.workflow_path} [{entry.cron}] slot {slot:%Y-%m-%d %H:%M}Z")

        def work() -> None:
            status, note = "failure", ""
            try:
                status = self.fire(entry, slot, self._cancel)
            except Exception as exc:
                note = str(exc)
                status = "cancelled" if self._cancel.is_set() else "failure"
            finally:
                if self._cancel.is_set() and status != "success":
                    status, note = "cancelled", note or "scheduler stopped"
                self.firings.finish(
                    entry.repository,
                    entry.workflow_path,
                    entry.cron,
                    stamp,
                    status=status,
                    note=note,
                )
                self.log(f"done {entry.workflow_path} [{entry.cron}]: {status}")

        thread = threading.Thread(target=work, name=f"fire {entry.workflow_path}")
        with self._lock:
            self._threads.append(thread)
        thread.start()
        return True

    def wait(self) -> None:
        """Wait for every launched run to end."""
        while True:
            with self._lock:
                alive = [t for t in self._threads if t.is_alive()]
            if not alive:
                return
            for thread in alive:
                thread.join(0.1)

    def due_at(self, at: datetime) -> list[ScheduleEntry]:
        """Entries with a slot at the minute of ``at``."""
        slot = minute(at)
        return [e for e in self.entries if e.next_after(slot - timedelta(minutes=1)) == slot]

    def fire_at(self, at: datetime) -> int:
        """Fire the slots due at ``at`` (``--once-at``), wait for them; how many fired."""
        fired = sum(self.launch(e, minute(at)) for e in self.due_at(at))
        self.wait()
        return fired

    def catch_up(self) -> int:
        """Fire, once, the newest missed slot of each cron younger than ``grace``."""
        now = self.clock.now()
        fired = 0
        for entry in self.entries:
            slot = latest_fire_time(entry.cron, entry.timezone, now, self.grace)
            if slot is not None:
                fired += self.launch(entry, slot)
        return fired

    # ------------------------------------------------------------ loop

    def run(self) -> None:
        """Catch up, then fire every slot on time until :meth:`stop`."""
        if not self.entries:
            self.log("no scheduled workflows")
        self.catch_up()
        cursor = self.clock.now()
        while self.entries and not self.stopping.is_set():
            upcoming = [(e.next_after(cursor), e) for e in self.entries]
            slot = min(when for when, _ in upcoming)
            if not self.clock.sleep_until(slot, self.stopping):
                break
            late = self.clock.now() - slot
            for when, entry in upcoming:
                if when != slot:
                    continue
                # Waking within the slot's own minute is on time, whatever the grace; later
                # than that (a suspended machine) it is a missed slot, fired only within grace.
                if late > max(self.grace, ON_TIME):
                    self.log(f"missed {entry.workflow_path} [{entry.cron}] {slot:%H:%M}Z")
                    continue
                self.launch(entry, slot)
            cursor = slot
        self.shutdown()

    def stop(self) -> None:
        """Ask :meth:`run` to end (safe from a signal handler)."""
        self.stopping.set()

    def shutdown(self) -> None:
        """Cancel runs in progress and wait for them to be recorded."""
        self._cancel.set()
        self.wait()
