"""Webhook deliveries recorded as ``queued`` become runs here, in the background.

The HTTP handler only checks, records (once per ``X-GitHub-Delivery``) and answers; a
dispatcher thread takes each recorded delivery, resolves its commits in the mirror
(fetching), submits them to the run queue with the trigger rules, and records the runs
it started (``started``), or why none (``ignored``/``failed``). It takes the next
delivery only while fewer than ``max_runs`` runs are in progress, so a burst waits in the
database (the ``conveyor_webhook_backlog`` metric), not as idle threads. Deliveries still
``queued`` when the server stopped are taken again on start, so none is lost.
"""

from __future__ import annotations

import logging
import queue
import threading
import time

from conveyor.errors import ConveyorError
from conveyor.server.github_events import resolve_targets, targets
from conveyor.server.queue import RunQueue, Stopping
from conveyor.store.server_store import FAILED, IGNORED, STARTED

log = logging.getLogger("conveyor.server.deliveries")


class Dispatcher:
    def __init__(self, runs: RunQueue, threads: int = 2, max_runs: int = 0) -> None:
        self.runs = runs
        self.max_runs = max_runs or 2 * runs.max_jobs  # runs in progress before waiting
        self._todo: queue.Queue[str | None] = queue.Queue()
        self._threads = [
            threading.Thread(target=self._loop, name=f"conveyor-deliveries-{i}", daemon=True)
            for i in range(threads)
        ]
        self._pending = 0
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)

    def start(self) -> None:
        for thread in self._threads:
            thread.start()
        self.runs.store.requeue_starting()
        for delivery_id in self.runs.store.queued_deliveries():
            self.add(delivery_id)

    def add(self, delivery_id: str) -> None:
        with self._lock:
            self._pending += 1
        self._todo.put(delivery_id)

    @property
    def pending(self) -> int:
        with self._lock:
            return self._pending

    def wait_idle(self, timeout: float) -> bool:
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def stop(self) -> None:
        for _ in self._threads:
            self._todo.put(None)
        for thread in self._threads:
            thread.join(5.0)

    def _loop(self) -> None:
        while True:
            delivery_id = self._todo.get()
            if delivery_id is None:
                return
            while len(self.runs.active_runs()) >= self.max_runs and not self.runs.stopping.is_set():
                time.sleep(0.05)  # the rest waits, recorded, until runs end
            try:
                self.handle(delivery_id)
            except Stopping:
                pass  # stays queued: the next server takes it
            except Exception:
                log.exception("delivery failed", extra={"delivery": delivery_id})
            finally:
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()

    def handle(self, delivery_id: str) -> list[int]:
        """Start the runs of one recorded delivery; their ids."""
        store = self.runs.store
        self.runs.check_open()
        delivery = store.claim_delivery(delivery_id)
        if delivery is None:  # handled already, or by another server
            return []
        try:
            repo = self.runs.repository(delivery.repository)
            mirrors = self.runs.mirrors
            mirrors.ensure(repo.name, repo.url)  # fetched below when a commit is missing
            found = targets(delivery.event, delivery.payload, mirrors.default_branch(repo.name))

            def lookup(ref: str) -> str | None:
                return mirrors.resolve(repo.name, repo.url, ref)

            ready, missing = resolve_targets(found, lookup)
            run_ids: list[int] = []
            for target in ready:
                assert target.commit is not None
                run_ids += self.runs.submit(
                    repo.name,
                    target.commit,
                    target.event,
                    delivery.payload,
                    ref=target.ref,
                    cause=f"webhook:{delivery.event}",
                )
        except Stopping:
            store.requeue(delivery_id)
            raise
        except ConveyorError as exc:
            store.finish_delivery(delivery_id, FAILED, [], str(exc))
            self.runs.metrics.webhooks.labels(event=delivery.event, outcome=FAILED).inc()
            log.warning("delivery failed", extra={"delivery": delivery_id, "reason": str(exc)})
            return []
        status = STARTED if run_ids else IGNORED
        note = "; ".join(missing) or ("" if run_ids else "no workflow fired")
        store.finish_delivery(delivery_id, status, run_ids, note)
        self.runs.metrics.webhooks.labels(event=delivery.event, outcome=status).inc()
        log.info(
            "delivery handled",
            extra={"delivery": delivery_id, "status": status, "run_ids": run_ids},
        )
        return run_ids
