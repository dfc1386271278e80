"""``rollback-on:``: a subscriber to a run's events that rolls a deployment back when a
job it names fails.

``conveyor/deploy@v1`` records the job ids of its ``rollback-on:`` input with the
deployment. When a job of the same run whose id (or key) is named there finishes with
``failure`` while that deployment is still live, the environment's alias returns to the
previous version through :func:`conveyor.delivery.rollback.rollback` (the ``roll_back``
callable given, which knows the providers and the settings), with the job as the reason.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from conveyor.engine.events import Event, JobFinished, JobStarted
from conveyor.engine.status import Conclusion
from conveyor.store.deliveries import LIVE, DeliveryStore, Deployment

RollBack = Callable[[Deployment, str], None]


class RollbackOnFailure:
    """An :class:`~conveyor.engine.ports.EventSink`: thread-safe, quick for every event
    but a failed job's end (which reads the run's live deployments, and may roll back)."""

    def __init__(self, state_dir: Path, roll_back: RollBack) -> None:
        self._state_dir = state_dir
        self._roll_back = roll_back
        self._lock = threading.Lock()
        self._job_ids: dict[tuple[int, str], str] = {}

    def emit(self, event: Event) -> None:
        if isinstance(event, JobStarted):
            with self._lock:
                self._job_ids[(event.run_id, event.job_key)] = event.job_id
        elif isinstance(event, JobFinished) and event.conclusion is Conclusion.FAILURE:
            with self._lock:
                job_id = self._job_ids.get((event.run_id, event.job_key), "")
                self._failed(event, job_id)

    def _failed(self, event: JobFinished, job_id: str) -> None:
        names = {event.job_key, job_id} - {""}
        with DeliveryStore(self._state_dir) as store:
            live = store.deployments(None, run_id=event.run_id, status=LIVE)
        for deployment in reversed(live):  # oldest first
            if deployment.job_key == event.job_key or not names & set(deployment.rollback_on):
                continue
            note = f": {event.note}" if event.note else ""
            reason = f"job {event.job_key} of run {event.run_id} failed{note} (rollback-on)"
            self._roll_back(deployment, reason)
