"""Clocks for the scheduler: the real one sleeps until a time; a manual one for tests."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Protocol

_MAX_WAIT_SECONDS = 30.0  # re-read the wall clock at least this often (suspend, NTP steps)


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, aware, in UTC."""
        ...

    def sleep_until(self, when: datetime, stop: threading.Event) -> bool:
        """Block until ``when``; False (early) when ``stop`` is set."""
        ...


class SystemClock:
    """The machine's clock; sleeps in one wait (re-checked every 30 s), never polls."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def sleep_until(self, when: datetime, stop: threading.Event) -> bool:
        while not stop.is_set():
            remaining = (when - self.now()).total_seconds()
            if remaining <= 0:
                return True
            if stop.wait(min(remaining, _MAX_WAIT_SECONDS)):
                return False
        return False


class ManualClock:
    """A clock tests move by hand; sleeping jumps straight to the wake-up time.

    ``limit``: sleeping past it sets ``stop`` instead, so a scheduler loop ends.
    """

    def __init__(self, start: datetime, limit: datetime | None = None) -> None:
        self.current = start.astimezone(UTC)
        self.limit = limit.astimezone(UTC) if limit is not None else None
        self.sleeps: list[datetime] = []

    def now(self) -> datetime:
        return self.current

    def set(self, when: datetime) -> None:
        self.current = when.astimezone(UTC)

    def sleep_until(self, when: datetime, stop: threading.Event) -> bool:
        if stop.is_set():
            return False
        if self.limit is not None and when > self.limit:
            stop.set()
            return False
        self.sleeps.append(when)
        self.current = max(self.current, when.astimezone(UTC))
        return True
