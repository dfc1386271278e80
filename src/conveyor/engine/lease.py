"""A run's lease: proof, renewed in the background, that the process running it is alive.

The store gives the lease when the run begins (or resumes); :class:`LeaseKeeper` renews it
every third of its length on a thread of its own, whatever the run is doing, so a run
waiting minutes for a slow step still looks alive. A run whose lease ran out belongs to a
process that died: any process may then mark it interrupted, and ``conveyor resume`` may
take it over. If another process took the lease, this one stops the run.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import Protocol

LEASE_SECONDS = 30.0


def new_owner() -> str:
    """A lease owner id for one run in this process."""
    return uuid.uuid4().hex


class LeaseStore(Protocol):
    def renew_lease(self, run_id: int, owner: str, seconds: float) -> bool: ...


class LeaseKeeper:
    """Renews the lease of one run until :meth:`stop`; calls ``lost`` (once) if the store
    says another owner holds it now."""

    def __init__(
        self,
        store: LeaseStore,
        run_id: int,
        owner: str,
        lost: Callable[[], None],
        seconds: float = LEASE_SECONDS,
    ) -> None:
        self._store = store
        self._run_id = run_id
        self._owner = owner
        self._lost = lost
        self._seconds = seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"lease-{run_id}", daemon=True)

    def start(self) -> LeaseKeeper:
        self._thread.start()
        return self

    def _loop(self) -> None:
        while not self._stop.wait(self._seconds / 3):
            try:
                held = self._store.renew_lease(self._run_id, self._owner, self._seconds)
            except Exception:  # a database hiccup: try again at the next beat
                continue
            if not held:
                self._lost()
                return

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
