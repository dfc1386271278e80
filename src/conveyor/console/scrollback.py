"""Log lines written above the live view, as raw segments.

Rendering each line as rich ``Text`` (measuring, wrapping) costs tens of microseconds;
yielding ready segments costs a few, and the terminal wraps long lines itself. Lines are
cleaned of control sequences that would move the cursor under the live view; colour
(SGR) sequences stay, followed by a reset.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import lru_cache

from rich.console import Console, ConsoleOptions
from rich.segment import Segment
from rich.style import Style

Queued = tuple[str, str, str, str]  # prefix, prefix style, text, text style

_SGR_OR_CONTROL = re.compile(
    r"(\x1b\[[0-9;]*m)|\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b.?"
    r"|[\x00-\x08\x0a-\x1a\x1c-\x1f\x7f]"
)
_RESET = "\x1b[0m"


def clean(text: str) -> str:
    """``text`` without cursor movement or other control codes; colours kept and reset."""
    text = text.rstrip("\r\n")
    if text.isprintable():
        return text
    cleaned = _SGR_OR_CONTROL.sub(lambda match: match.group(1) or "", text)
    return cleaned + _RESET if "\x1b[" in cleaned else cleaned


@lru_cache(maxsize=64)
def _style(name: str) -> Style | None:
    return Style.parse(name) if name else None


class Scrollback:
    """A batch of queued lines, rendered without measuring or wrapping."""

    def __init__(self, lines: Iterable[Queued]) -> None:
        self._lines = lines

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> Iterator[Segment]:
        newline = Segment.line()
        for prefix, prefix_style, text, style in self._lines:
            yield Segment(prefix, _style(prefix_style))
            yield Segment(clean(text), _style(style))
            yield newline
