"""``${{ }}`` in text and values: finding, interpolating, typed templates, ``if:``
conditions, and whole values as GitHub's runner evaluates them (:func:`evaluate_value`:
``${{ insert }}`` keys merge a mapping into their parent, a sequence item that is one
expression yielding a sequence is flattened into it).

Errors raised here carry ``expression`` = the whole text given and ``column`` = 1-based
column within that text (the message itself is GitHub's, relative to the inner
expression), so callers can map them onto a file position.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from conveyor.errors import ExpressionEvalError, ExpressionSyntaxError
from conveyor.expressions.evaluator import HashFiles, Status, evaluate
from conveyor.expressions.nodes import Node, referenced_functions
from conveyor.expressions.parser import JOB_IF_ARITY, MAX_LENGTH, STATUS_FUNCTIONS, parse
from conveyor.expressions.values import to_string, truthy

OPEN = "${{"
CLOSE = "}}"
INSERT = "insert"
MAX_EXPRESSION_LENGTH = MAX_LENGTH
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
    expr: str,
    text: str,
    offset: int,
    *,
    named_values: Collection[str] | None = None,
    arity: Mapping[str, tuple[int, int | None]] | None = None,
) -> Node:
    """Parse ``expr`` found at ``text[offset]``; errors get columns within ``text``."""
    try:
        return parse(expr, named_values=named_values, arity=arity)
    except ExpressionSyntaxError as exc:
        raise ExpressionSyntaxError(
            exc.message, expression=text, column=offset + max(exc.column, 1)
        ) from exc


@lru_cache(maxsize=4096)
def _template(text: str, condition: bool = False) -> tuple[tuple[str | Node, ...], Node | None]:
    """Literal text and parsed nodes in order; and the node if ``text`` is exactly one
    expression (whitespace around it allowed). A ``condition`` (an ``if:``) may give
    ``success()``/``failure()`` job ids, as a job's ``if`` can."""
    parts: list[str | Node] = []
    nodes: list[Node] = []
    position = 0
    for span in find_expressions(text):
        if span.start > position:
            parts.append(text[position : span.start])
        if not span.expr:
            raise ExpressionSyntaxError(
                f"An expression was expected: '{text[span.start : span.end]}' is empty",
                expression=text,
                column=span.start + 1,
            )
        node = parse_at(span.expr, text, span.expr_start, arity=JOB_IF_ARITY if condition else None)
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
        parts, single = _template(text, condition=True)
    else:
        single = parse_at(stripped, text, text.find(stripped[:1]), arity=JOB_IF_ARITY)
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


def has_expression(value: Any) -> bool:
    """Whether any string inside ``value`` (mapping keys included) holds ``${{``."""
    if isinstance(value, str):
        return OPEN in value
    if isinstance(value, list):
        return any(has_expression(v) for v in value)
    if isinstance(value, Mapping):
        return any(has_expression(k) or has_expression(v) for k, v in value.items())
    return False


def is_insert(expr: str) -> bool:
    """Whether bare expression text is the ``insert`` directive."""
    return expr.strip() == INSERT


def is_insert_key(key: object) -> bool:
    """Whether a mapping key is exactly ``${{ insert }}`` (whitespace around allowed)."""
    if not isinstance(key, str) or OPEN not in key:
        return False
    text = key.strip()
    return text.startswith(OPEN) and text.endswith(CLOSE) and is_insert(text[3:-2])


def is_single_expression(text: str) -> bool:
    """Whether ``text`` is one whole ``${{ }}`` (whitespace around allowed)."""
    if OPEN not in text:
        return False
    spans = find_expressions(text)
    return (
        len(spans) == 1 and not text[: spans[0].start].strip() and not text[spans[0].end :].strip()
    )


TextRenderer = Callable[[str], Any]
"""Evaluates one string of a value (a template) to its value."""


def render_value(value: Any, render_text: TextRenderer) -> Any:
    """Evaluate every template inside ``value`` the way GitHub's runner does.

    Strings go through ``render_text``. In a mapping, a ``${{ insert }}`` key's value
    must evaluate to a mapping whose pairs join the enclosing mapping (a key given
    twice, ignoring case, is an error); other keys holding ``${{ }}`` are evaluated to
    strings. In a sequence, an item that is one whole expression yielding a sequence
    is flattened into it. Raises :class:`ExpressionEvalError` for a bad ``insert``.
    """
    if isinstance(value, str):
        return render_text(value) if OPEN in value else value
    if isinstance(value, list):
        items: list[Any] = []
        for item in value:
            result = render_value(item, render_text)
            if isinstance(item, str) and isinstance(result, list) and is_single_expression(item):
                items.extend(result)
            else:
                items.append(result)
        return items
    if isinstance(value, Mapping):
        return _render_mapping(value, render_text)
    return value


def _render_mapping(value: Mapping[Any, Any], render_text: TextRenderer) -> dict[str, Any]:
    result: dict[str, Any] = {}
    seen: dict[str, str] = {}  # upper-cased key -> its spelling
    inserted: set[str] = set()  # upper-cased keys that came from an insert

    def put(key: str, item: Any, *, from_insert: bool) -> None:
        upper = key.upper()
        first = seen.get(upper)
        if first is not None and (from_insert or upper in inserted):
            raise ExpressionEvalError(
                f"'{key}' is already defined (as '{first}'); an inserted mapping may not "
                "repeat a key of the mapping it is inserted into",
                expression=key,
            )
        seen.setdefault(upper, key)
        if from_insert:
            inserted.add(upper)
        result[key] = item

    for key, item in value.items():
        if is_insert_key(key):
            to_insert = render_value(item, render_text)
            if not isinstance(to_insert, Mapping):
                raise ExpressionEvalError(
                    f"'${{{{ insert }}}}' needs a mapping to insert, got {to_string(to_insert)!r}",
                    expression=str(key),
                )
            for inner_key, inner in to_insert.items():
                put(str(inner_key), inner, from_insert=True)
            continue
        name = to_string(render_text(key)) if isinstance(key, str) and OPEN in key else str(key)
        put(name, render_value(item, render_text), from_insert=False)
    return result


def evaluate_value(
    value: Any,
    contexts: Mapping[str, Any],
    *,
    status: Status = _OK,
    hash_files: HashFiles | None = None,
) -> Any:
    """:func:`render_value` with every string evaluated by :func:`evaluate_template`."""

    def render_text(text: str) -> Any:
        return evaluate_template(text, contexts, status=status, hash_files=hash_files)

    return render_value(value, render_text)
