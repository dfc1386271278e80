"""Recording webhook deliveries in batches: one write transaction for a burst.

Handlers hand their delivery to :meth:`Intake.record` and await the answer; one writer
thread takes whatever has arrived (up to ``batch`` at a time) and records it with
:meth:`conveyor.store.server_store.ServerStore.record_deliveries` -- the unique key on
the delivery id still decides, so redeliveries racing in one batch, in two batches or on
two servers start one run. On SQLite this turns hundreds of write locks a second into a
few; on PostgreSQL, as many commits.

The registered repositories are cached for the webhook handler and read again when a
delivery names one the cache does not know, or after ``ttl`` seconds.
"""

from __future__ import annotations

import concurrent.futures
import queue
import threading
import time

from conveyor.store.server_store import Delivery, NewDelivery, ServerRepository, ServerStore

Answer = tuple[bool, Delivery]


class Intake:
    def __init__(self, store: ServerStore, batch: int = 256, ttl: float = 5.0) -> None:
        self.store = store
        self.batch = batch
        self.ttl = ttl
        self._todo: queue.Queue[tuple[NewDelivery, concurrent.futures.Future[Answer]] | None]
        self._todo = queue.Queue()
        self._thread = threading.Thread(target=self._loop, name="conveyor-intake", daemon=True)
        self._thread.start()
        self._repos: list[ServerRepository] = []
        self._repos_at = 0.0
        self._repos_lock = threading.Lock()

    # ------------------------------------------------------------ repositories

    def repositories(self, fresh: bool = False) -> list[ServerRepository]:
        with self._repos_lock:
            if fresh or time.monotonic() - self._repos_at > self.ttl:
                self._repos = self.store.repositories()
                self._repos_at = time.monotonic()
            return self._repos

    # ------------------------------------------------------------ deliveries

    def record(self, item: NewDelivery) -> concurrent.futures.Future[Answer]:
        future: concurrent.futures.Future[Answer] = concurrent.futures.Future()
        self._todo.put((item, future))
        return future

    def close(self) -> None:
        self._todo.put(None)
        self._thread.join(10.0)

    def _loop(self) -> None:
        while True:
            first = self._todo.get()
            if first is None:
                return
            taken = [first]
            stop = False
            while len(taken) < self.batch:
                try:
                    more = self._todo.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stop = True
                    break
                taken.append(more)
            try:
                answers = self.store.record_deliveries([item for item, _ in taken])
            except Exception as exc:
                for _, future in taken:
                    future.set_exception(exc)
            else:
                for (_, future), answer in zip(taken, answers, strict=True):
                    future.set_result(answer)
            if stop:
                return
