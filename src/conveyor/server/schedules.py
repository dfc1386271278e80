"""The schedule daemon inside the server: ``on.schedule`` workflows of every registered
repository's default branch, fired through the run queue.

It is :class:`conveyor.triggers.daemon.Scheduler` -- the one behind ``conveyor schedule
run`` -- so each slot is claimed once in the database per repository (a restarted server,
or a second one, never fires it twice) and the newest missed slot within the grace
period is caught up on start. Entries are read when the server starts.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from typing import TYPE_CHECKING

from conveyor.errors import ConveyorError
from conveyor.server.queue import RunQueue, Stopping

if TYPE_CHECKING:
    from conveyor.store.schedule import FiringStore
    from conveyor.triggers.daemon import ScheduleEntry, Scheduler

log = logging.getLogger("conveyor.server.schedules")


class ServerSchedules:
    def __init__(self, runs: RunQueue) -> None:
        self.runs = runs
        self._scheduler: Scheduler | None = None
        self._thread: threading.Thread | None = None
        self._firings: FiringStore | None = None
        self.entries: list[ScheduleEntry] = []  # what is watched (GET /api/schedules)
        self.names: dict[str, str] = {}  # history key -> the repository's server name

    def start(self) -> int:
        """Load the entries and start firing them; how many crons are watched."""
        from conveyor.store.schedule import FiringStore
        from conveyor.triggers.clock import SystemClock
        from conveyor.triggers.daemon import Scheduler

        entries: list[ScheduleEntry] = []
        names: dict[str, tuple[str, str]] = {}  # history key -> (server name, commit)
        for repo in self.runs.store.repositories():
            try:
                found, key, commit = self._entries(repo.name, repo.url)
            except ConveyorError as exc:
                log.warning(
                    "schedules not loaded", extra={"repository": repo.name, "error": str(exc)}
                )
                continue
            entries += found
            names[key] = (repo.name, commit)
        self.entries = list(entries)
        self.names = {key: name for key, (name, _) in names.items()}
        firings = FiringStore(self.runs.state_dir)
        self._firings = firings

        def fire(entry: ScheduleEntry, slot: datetime, cancel: threading.Event) -> str:
            del slot
            from conveyor.planner.payloads import PayloadRepo, schedule_payload

            name, commit = names[entry.repository]
            payload = schedule_payload(PayloadRepo(name), entry.cron)
            try:
                ids = self.runs.submit(
                    name,
                    commit,
                    "schedule",
                    payload,
                    workflow=entry.workflow_path,
                    cause="schedule",
                )
            except Stopping:
                return "cancelled"
            return self.runs.wait_for(ids, cancel)

        scheduler = Scheduler(
            entries,
            firings,
            fire,
            SystemClock(),
            log=log.info,
        )
        self._scheduler = scheduler
        self._thread = threading.Thread(
            target=scheduler.run, name="conveyor-schedules", daemon=True
        )
        self._thread.start()
        return len(entries)

    def _entries(self, name: str, url: str) -> tuple[list[ScheduleEntry], str, str]:
        from conveyor.git.identity import identity_of
        from conveyor.triggers.scheduled import schedule_entries
        from conveyor.workflow import discover_workflows, is_action_file, load_workflow

        mirrors = self.runs.mirrors
        mirrors.sync(name, url)
        branch = mirrors.default_branch(name)
        commit = mirrors.resolve(name, url, f"refs/heads/{branch}")
        if commit is None:
            return [], name, ""
        checkout = mirrors.checkout(name, url, commit)
        folder = checkout / ".github" / "workflows"
        files = discover_workflows(str(folder)) if folder.is_dir() else []
        loaded = [load_workflow(f) for f in files if not is_action_file(f)]
        key = identity_of(checkout, url).key
        return list(schedule_entries(loaded, checkout, key)), key, commit

    def stop(self) -> None:
        if self._scheduler is not None:
            self._scheduler.stop()
        if self._thread is not None:
            self._thread.join(5.0)
        if self._firings is not None:
            self._firings.close()
