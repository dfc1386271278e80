"""Resolve ``${{ }}`` expressions before a run, when they only use contexts known then.

The planner knows little before a run: literals, the ``github`` context built from
the event, the ``inputs`` and, per combination, ``matrix``. An expression that names
any other context (``needs``, ``vars``, ``steps``...) is *dynamic*: resolving it raises
:class:`DynamicValue`, and the caller reports "resolved at run time".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from conveyor.errors import ExpressionError
from conveyor.expressions import (
    evaluate_template,
    find_expressions,
    parse,
    referenced_contexts,
    render_value,
)
from conveyor.expressions.templates import OPEN, has_expression

__all__ = [
    "DynamicValue",
    "StaticEvalError",
    "has_expression",
    "referenced",
    "resolve_static",
    "resolve_text",
]


class DynamicValue(Exception):
    """The value needs contexts only known at run time."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class StaticEvalError(ExpressionError):
    """An expression the planner could resolve statically failed to evaluate."""


def referenced(text: str) -> set[str]:
    """Lower-case names of the contexts the expressions in ``text`` read."""
    names: set[str] = set()
    for span in find_expressions(text):
        names |= referenced_contexts(parse(span.expr))
    return names


def resolve_text(text: str, contexts: Mapping[str, Any]) -> Any:
    """Resolve one string: a whole expression yields its value, a template a string.

    Raises :class:`DynamicValue` when it reads a context not in ``contexts``.
    """
    if OPEN not in text:
        return text
    known = {str(k).lower() for k in contexts}
    missing = sorted(referenced(text) - known)
    if missing:
        raise DynamicValue(f"uses {', '.join(missing)} (resolved at run time)")
    try:
        return evaluate_template(text, contexts)
    except ExpressionError as exc:
        raise StaticEvalError(exc.message, expression=text, column=exc.column) from exc


def resolve_static(value: Any, contexts: Mapping[str, Any]) -> Any:
    """Resolve every expression inside ``value`` (strings, lists, mappings) as GitHub's
    runner does: ``${{ insert }}`` keys merge, a sequence-valued item is flattened.

    Raises :class:`DynamicValue` when one needs a context not in ``contexts``, and
    :class:`StaticEvalError` when one fails to evaluate.
    """
    try:
        return render_value(value, lambda text: resolve_text(text, contexts))
    except StaticEvalError:
        raise
    except ExpressionError as exc:
        raise StaticEvalError(exc.message, expression=exc.expression, column=exc.column) from exc
