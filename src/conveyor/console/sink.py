"""The console's interface: an event sink that also closes."""

from __future__ import annotations

from typing import Protocol

from conveyor.engine.ports import EventSink


class ConsoleSink(EventSink, Protocol):
    """Receives run events from any thread; ``close`` ends the display and prints what's left.

    ``close`` is idempotent. Each run is summarised when its ``RunFinished`` arrives;
    ``close`` summarises runs that never finished and, after several runs, adds one line
    over all of them.
    """

    def close(self) -> None: ...
