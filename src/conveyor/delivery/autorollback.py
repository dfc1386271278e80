"""``rollback-on:``: a subscriber to a run's events that rolls a deployment back when a
job it names fails.

``conveyor/deploy@v1`` records the job ids of its ``rollback-on:`` input with the
deployment. When a job of the same run whose id (or key) is named there finishes with
``failure`` while that deployment is still live, the environment's alias returns to the
previous version through :func:`conveyor.delivery.rollback.rollback` (the ``roll_back``
callable given, which knows the providers and the settings), with the job as the reason.
A named job that ran beside the deploy (no ``needs:`` on it) and failed before the
deployment went live rolls it back as soon as the deploy's job ends.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from conveyor.engine.events import Event, JobFinished, JobStarted, RunFinished, RunParked
from conveyor.engine.status import Conclusion

if TYPE_CHECKING:  # the store is imported when a failed job may need a rollback
    from conveyor.store.deliveries import Deployment

RollBack = Callable[["Deployment", str], None]


class RollbackOnFailure:
    """An :class:`~conveyor.engine.ports.EventSink`: thread-safe, quick for every event
    but a failed job's end (which reads the run's live deployments, and may roll back)."""

    def __init__(self, state_dir: Path, roll_back: RollBack) -> None:
        self._state_dir = state_dir
        self._roll_back = roll_back
        self._lock = threading.Lock()
        self._job_ids: dict[tuple[int, str], str] = {}
        # per run, the failed jobs so far: (their key and id, the rollback reason)
        self._failures: dict[int, list[tuple[set[str], str]]] = {}

    def emit(self, event: Event) -> None:
        if isinstance(event, JobStarted):
            with self._lock:
                self._job_ids[(event.run_id, event.job_key)] = event.job_id
        elif isinstance(event, JobFinished):
            with self._lock:
                job_id = self._job_ids.pop((event.run_id, event.job_key), "")
                if event.conclusion is Conclusion.FAILURE:
                    note = f": {event.note}" if event.note else ""
                    reason = f"job {event.job_key} of run {event.run_id} failed{note} (rollback-on)"
                    failures = self._failures.setdefault(event.run_id, [])
                    failures.append(({event.job_key, job_id} - {""}, reason))
                    self._roll_back_live(event.run_id, [failures[-1]], skip=event.job_key)
                elif event.run_id in self._failures:  # a deploy may have ended after them
                    self._roll_back_live(
                        event.run_id, self._failures[event.run_id], only=event.job_key
                    )
        elif isinstance(event, RunFinished | RunParked):
            with self._lock:
                self._failures.pop(event.run_id, None)

    def _roll_back_live(
        self,
        run_id: int,
        failures: list[tuple[set[str], str]],
        *,
        skip: str | None = None,
        only: str | None = None,
    ) -> None:
        """Roll back the run's live deployments (of job ``only``, or of every job but
        ``skip``) that name one of ``failures`` in their ``rollback-on:``."""
        from conveyor.store.deliveries import LIVE, DeliveryStore

        with DeliveryStore(self._state_dir) as store:
            live = store.deployments(None, run_id=run_id, status=LIVE)
        for deployment in reversed(live):  # oldest first
            if deployment.job_key == skip or (only is not None and deployment.job_key != only):
                continue
            named = set(deployment.rollback_on)
            reason = next((why for names, why in failures if names & named), None)
            if reason is not None:
                self._roll_back(deployment, reason)
