"""How the listing commands print: aligned tables (rich on a terminal, plain text
otherwise), times and durations."""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence

import typer

SHRINKABLE = frozenset({"workflow", "ref", "step", "note", "reason"})
"""Columns of long free text that give way to the short columns on a terminal."""


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    if sys.stdout.isatty():
        from rich import box
        from rich.console import Console
        from rich.table import Table
        from rich.text import Text

        shown = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, collapse_padding=True)
        for column, header in enumerate(headers):
            natural = max(len(str(row[column])) for row in (headers, *rows))
            shrink = header in SHRINKABLE
            shown.add_column(header, no_wrap=True, min_width=None if shrink else natural)
        for row in rows:
            shown.add_row(*(Text(cell) for cell in row))
        Console().print(shown)
        return
    widths = [max(len(str(c)) for c in column) for column in zip(headers, *rows, strict=False)]
    for line in (headers, *rows):
        typer.echo("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=False)).rstrip())


def when(timestamp: float | None) -> str:
    if not timestamp:
        return "-"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(timestamp))


def elapsed(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"
