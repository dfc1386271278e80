"""Check every ``${{ }}`` expression (and implicit ``if:`` expressions).

Syntax errors are reported at the exact character; then the contexts and
functions each expression uses are checked against :mod:`.contexts`.
"""

from __future__ import annotations

import re

from conveyor.errors import ExpressionSyntaxError
from conveyor.expressions import (
    Node,
    find_expressions,
    parse,
    referenced_contexts,
    referenced_functions,
)
from conveyor.expressions.templates import OPEN
from conveyor.workflow.checks.base import CheckContext
from conveyor.workflow.checks.contexts import (
    HASH_FILES,
    IF_KEYS,
    STATUS,
    Availability,
    availability,
)
from conveyor.workflow.checks.locate import locate
from conveyor.workflow.yamlload import Path

_IF_TAILS = frozenset((key,) for key in IF_KEYS)


_DISPLAY = {
    "startswith": "startsWith",
    "endswith": "endsWith",
    "tojson": "toJSON",
    "fromjson": "fromJSON",
    "hashfiles": "hashFiles",
}


def _report(ctx: CheckContext, path: Path, offset: int, message: str, rule: str) -> None:
    line, col = locate(ctx.doc, path, offset)
    ctx.error_at(line, col, " ".join(message.split()), rule)


def _name_offset(expr: str, name: str) -> int:
    match = re.search(rf"(?<![\w.'\-]){re.escape(name)}\b", expr, re.IGNORECASE)
    return match.start() if match else 0


def _pieces(ctx: CheckContext, path: Path, value: str) -> list[tuple[int, str]]:
    """(offset in value, expression text) for every expression in ``value``; a value
    without ``${{`` is one implicit expression."""
    if OPEN not in value:
        return [(0, value)]
    try:
        spans = find_expressions(value)
    except ExpressionSyntaxError as exc:
        offset = max(exc.column, 1) - 1
        _report(ctx, path, offset, f"expression error: {exc.message}", "expression")
        return []
    return [(span.expr_start, span.expr) for span in spans]


def _check_uses(
    ctx: CheckContext, site: tuple[Path, int, str], node: Node, avail: Availability
) -> None:
    path, offset, expr = site
    for name in sorted(referenced_contexts(node)):
        if name.lower() not in avail.contexts:
            allowed = ", ".join(sorted(avail.contexts))
            msg = f"context '{name}' is not available in {avail.where}; use one of: {allowed}"
            _report(ctx, path, offset + _name_offset(expr, name), msg, "context")
    for low in sorted(f.lower() for f in referenced_functions(node)):
        at = offset + _name_offset(expr, low)
        shown = _DISPLAY.get(low, low)
        if low in STATUS and low not in avail.functions:
            msg = f"status function '{shown}()' is only allowed in 'if' conditions, "
            _report(ctx, path, at, msg + f"not in {avail.where}", "context")
        elif low in HASH_FILES and low not in avail.functions:
            msg = f"'{shown}()' is only available in step keys (run, with, env, if, ...), "
            _report(ctx, path, at, msg + f"not in {avail.where}", "context")


def check_expressions(ctx: CheckContext) -> None:
    for path, value in ctx.doc.walk():
        if not isinstance(value, str) or (OPEN not in value and path[-1:] not in _IF_TAILS):
            continue
        avail = availability(path, is_action=ctx.is_action)
        implicit = avail is not None and avail.implicit
        if OPEN not in value and not implicit:
            continue
        for offset, expr in _pieces(ctx, path, value):
            try:
                node = parse(expr)
            except ExpressionSyntaxError as exc:
                where = offset + max(exc.column, 1) - 1
                _report(ctx, path, where, f"expression syntax error: {exc.message}", "expression")
                continue
            if avail is not None:
                _check_uses(ctx, (path, offset, expr), node, avail)
