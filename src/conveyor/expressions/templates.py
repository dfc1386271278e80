"""``${{ }}`` in text: finding, interpolating, typed templates and ``if:`` conditions.

Errors raised here carry ``expression`` = the whole text given and ``column`` = 1-based
column within that text (the message itself is GitHub's, relative to the inner
expression), so callers can map them onto a file position.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from conveyor.errors import ExpressionSyntaxError
from conveyor.expressions.evaluator import HashFiles, Status, evaluate
from conveyor.expressions.nodes import Node, referenced_functions
from conveyor.expressions.parser import STATUS_FUNCTIONS, parse
from conveyor.expressions.values import to_string, truthy

OPEN = "${{"
CLOSE = "}}"
_OK = Status()  # the default status: nothing failed or was cancelled


@dataclass(frozen=True, slots=True)
class Span:
    """One ``${{ ... }}`` in a text: ``text[start:end]`` is the whole wrapper, ``expr``
    the stripped expression, which starts at ``text[expr_start]``."""

    start: int
    end: int
    expr: str
    expr_start: int


def find_expressions(text: str) -> list[Span]:
    """Every ``${{ ... }}`` in ``text``; ``}}`` inside a quoted string does not close."""
    spans: list[Span] = []
    position = 0
    while (start := text.find(OPEN, position)) >= 0:
        i = start + len(OPEN)
        in_string = False
        close = -1
        while i < len(text):
            c = text[i]
            if c == "'":
                in_string = not in_string  # '' inside a string toggles out and back in
            elif not in_string and c == "}" and text.startswith(CLOSE, i):
                close = i
                break
            i += 1
        if close < 0:
            raise ExpressionSyntaxError(
                f"Unterminated expression: '{OPEN}' at position {start + 1} has no "
                f"closing '{CLOSE}'. Close it with '{CLOSE}' (strings inside use single "
                "quotes).",
                expression=text,
                column=start + 1,
            )
        inner = text[start + len(OPEN) : close]
        stripped = inner.strip()
        lead = len(inner) - len(inner.lstrip())
        spans.append(Span(start, close + len(CLOSE), stripped, start + len(OPEN) + lead))
        position = close + len(CLOSE)
    return spans


def parse_at(
    expr: str, text: str, offset: int, *, named_values: Collection[str] | None = None
) -> Node:
    """Parse ``expr`` found at ``text[offset]``; errors get columns within ``text``."""
    try:
        return parse(expr, named_values=named_values)
    except ExpressionSyntaxError as exc:
        raise ExpressionSyntaxError(
            exc.message, expression=text, column=offset + max(exc.column, 1)
        ) from exc


@lru_cache(maxsize=4096)
def _template(text: str) -> tuple[tuple[str | Node, ...], Node | None]:
    """Literal text and parsed nodes in order; and the node if ``text`` is exactly one
    expression (whitespace around it allowed)."""
    parts: list[str | Node] = []
    nodes: list[Node] = []
    position = 0
    for span in find_expressions(text):
        if span.start > position:
            parts.append(text[position : span.start])
        node = parse_at(span.expr, text, span.expr_start)
        parts.append(node)
        nodes.append(node)
        position = span.end
    if position < len(text):
        parts.append(text[position:])
    single = len(nodes) == 1 and all(isinstance(p, Node) or not p.strip() for p in parts)
    return tuple(parts), nodes[0] if single else None


def evaluate_template(
    text: str,
    contexts: Mapping[str, Any],
    *,
    status: Status = _OK,
    hash_files: HashFiles | None = None,
) -> Any:
    """A single ``${{ expr }}`` (whitespace around allowed) gives the typed value; other
    text with expressions is interpolated into a string; text without ``${{`` is
    returned unchanged."""
    if OPEN not in text:
        return text
    parts, single = _template(text)
    if single is not None:
        return evaluate(single, contexts, status=status, hash_files=hash_files)
    return _join(parts, contexts, status, hash_files)


def interpolate(
    text: str,
    contexts: Mapping[str, Any],
    *,
    status: Status = _OK,
    hash_files: HashFiles | None = None,
) -> str:
    """Replace every ``${{ expr }}`` in ``text`` by its string value."""
    if OPEN not in text:
        return text
    return _join(_template(text)[0], contexts, status, hash_files)


def _join(
    parts: tuple[str | Node, ...],
    contexts: Mapping[str, Any],
    status: Status,
    hash_files: HashFiles | None,
) -> str:
    out: list[str] = []
    for part in parts:
        if isinstance(part, str):
            out.append(part)
        else:
            out.append(to_string(evaluate(part, contexts, status=status, hash_files=hash_files)))
    return "".join(out)


@lru_cache(maxsize=4096)
def _condition(text: str) -> tuple[tuple[str | Node, ...], Node | None, bool]:
    """(parts, the node if a single expression, uses a status function?) for an ``if:``."""
    stripped = text.strip()
    if OPEN in stripped:
        parts, single = _template(text)
    else:
        single = parse_at(stripped, text, text.find(stripped[:1]))
        parts = (single,)
    uses_status = any(
        not isinstance(p, str) and referenced_functions(p) & STATUS_FUNCTIONS for p in parts
    )
    return parts, single, uses_status


def evaluate_if(
    condition: str | bool | None,
    contexts: Mapping[str, Any],
    *,
    status: Status = _OK,
    hash_files: HashFiles | None = None,
) -> bool:
    """GitHub ``if:`` semantics.

    Empty or None means ``success()``; a bool passes through; ``${{ }}`` around the whole
    condition is optional; without a status function (success/failure/cancelled/always)
    the condition is ``success() && (condition)``. Text mixing literal text and
    ``${{ }}`` becomes a string (truthy when non-empty), as on GitHub.
    """
    if isinstance(condition, bool):
        return condition
    if condition is None:
        return status.success
    text = condition if isinstance(condition, str) else to_string(condition)
    if not text.strip():
        return status.success
    parts, single, uses_status = _condition(text)
    if not uses_status and not status.success:
        return False
    if single is not None:
        return truthy(evaluate(single, contexts, status=status, hash_files=hash_files))
    return truthy(_join(parts, contexts, status, hash_files))
