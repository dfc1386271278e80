"""GitHub's workflow command syntax: ``::name key=value,key=value::message``.

Only the syntax lives here (parsing and the ``%XX`` escaping rules); what each
command does is in :mod:`conveyor.runners.workflowcommands`.

Escaping, as GitHub's runner applies it: the message may contain ``%25`` (``%``),
``%0D`` (CR) and ``%0A`` (LF); property values additionally ``%3A`` (``:``) and
``%2C`` (``,``). ``%25`` is decoded last so ``%250A`` stays the literal ``%0A``.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

PREFIX = "::"

_DATA_ESCAPES = (("%0D", "\r"), ("%0A", "\n"))
_PROPERTY_ESCAPES = (*_DATA_ESCAPES, ("%3A", ":"), ("%2C", ","))


@dataclass(frozen=True, slots=True)
class WorkflowCommand:
    name: str
    properties: dict[str, str] = field(default_factory=dict)
    data: str = ""


def _unescape(text: str, escapes: tuple[tuple[str, str], ...]) -> str:
    if "%" not in text:
        return text
    for escaped, plain in escapes:
        text = text.replace(escaped, plain)
    return text.replace("%25", "%")


def unescape_data(text: str) -> str:
    return _unescape(text, _DATA_ESCAPES)


def unescape_property(text: str) -> str:
    return _unescape(text, _PROPERTY_ESCAPES)


def escape_data(text: str) -> str:
    """The inverse of :func:`unescape_data` (what ``@actions/core`` does before printing)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def parse_command(line: str, names: Collection[str]) -> WorkflowCommand | None:
    """Parse ``line`` as a workflow command whose name is one of ``names``.

    Leading whitespace is ignored; anything else (no closing ``::``, an unknown
    name) is not a command and yields None, so the line is printed as is.
    Malformed properties (no ``=``, empty key or value) are skipped, as on GitHub.
    """
    text = line.lstrip()
    if not text.startswith(PREFIX):
        return None
    end = text.find(PREFIX, len(PREFIX))
    if end < 0:
        return None
    info = text[len(PREFIX) : end]
    name, _, raw_properties = info.partition(" ")
    if name not in names:
        return None
    properties: dict[str, str] = {}
    for item in raw_properties.strip().split(","):
        key, sep, value = item.partition("=")
        if sep and key and value:
            properties[key] = unescape_property(value)
    return WorkflowCommand(name, properties, unescape_data(text[end + len(PREFIX) :]))
