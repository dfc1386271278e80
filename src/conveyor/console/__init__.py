"""Live console output of runs.

:func:`make_console` returns a :class:`ConsoleSink`: a rich live view of jobs and steps on
an interactive terminal (:class:`LiveConsole`), or prefixed plain lines for pipes, files and
CI (:class:`PlainConsole`). Both print a summary per run: a job table, the step summaries,
and a verdict. Each is imported when first used (the plain console needs no rich).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "ConsoleSink": "conveyor.console.sink",
    "LiveConsole": "conveyor.console.live",
    "PlainConsole": "conveyor.console.plain",
    "make_console": "conveyor.console.factory",
    "wants_plain": "conveyor.console.factory",
}

if TYPE_CHECKING:
    from conveyor.console.factory import make_console, wants_plain
    from conveyor.console.live import LiveConsole
    from conveyor.console.plain import PlainConsole
    from conveyor.console.sink import ConsoleSink


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


__all__ = ["ConsoleSink", "LiveConsole", "PlainConsole", "make_console", "wants_plain"]
