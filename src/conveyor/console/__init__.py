"""Live console output of runs.

:func:`make_console` returns a :class:`ConsoleSink`: a rich live view of jobs and steps on
an interactive terminal (:class:`LiveConsole`), or prefixed plain lines for pipes, files and
CI (:class:`PlainConsole`). Both print a summary per run: a job table, the step summaries,
and a verdict.
"""

from __future__ import annotations

from conveyor.console.factory import make_console, wants_plain
from conveyor.console.live import LiveConsole
from conveyor.console.plain import PlainConsole
from conveyor.console.sink import ConsoleSink

__all__ = ["ConsoleSink", "LiveConsole", "PlainConsole", "make_console", "wants_plain"]
