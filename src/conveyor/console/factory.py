"""Choosing the console for a stream: live on an interactive terminal, plain elsewhere."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from conveyor.console.sink import ConsoleSink


def wants_plain(stream: TextIO, environ: Mapping[str, str] | None = None) -> bool:
    """Plain unless ``stream`` is a terminal, ``CI`` is not ``true`` and ``TERM`` isn't dumb."""
    env = os.environ if environ is None else environ
    if env.get("CI", "").strip().lower() in ("true", "1"):
        return True
    if env.get("TERM", "") == "dumb":
        return True
    isatty = getattr(stream, "isatty", None)
    try:
        return not (callable(isatty) and isatty())
    except ValueError:  # a closed stream
        return True


def make_console(stream: TextIO | None = None, *, plain: bool | None = None) -> ConsoleSink:
    """A console writing to ``stream`` (default: ``sys.stdout`` at call time).

    ``plain`` forces the choice; None picks with :func:`wants_plain`.
    """
    out = sys.stdout if stream is None else stream
    if plain is None:
        plain = wants_plain(out)
    if plain:
        from conveyor.console.plain import PlainConsole

        return PlainConsole(out)
    # rich's live display is imported only for a terminal
    from rich.console import Console

    from conveyor.console.live import LiveConsole

    return LiveConsole(Console(file=out, highlight=False, emoji=False, markup=False))
