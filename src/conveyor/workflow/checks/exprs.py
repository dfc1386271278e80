"""Check every ``${{ }}`` expression (and implicit ``if:`` expressions).

Syntax errors are reported at the exact character; then the contexts and functions
each expression uses are checked against :mod:`.contexts`, which also says where
expressions are not allowed at all. Mapping keys may be expressions where the mapping
accepts them (``${{ insert }}`` merges a mapping into its parent).
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
from conveyor.expressions.nodes import calls
from conveyor.expressions.templates import MAX_EXPRESSION_LENGTH, OPEN, is_insert
from conveyor.workflow.checks.base import CheckContext
from conveyor.workflow.checks.contexts import (
    IF_KEYS,
    SPECIAL_FUNCTIONS,
    Availability,
    availability,
)
from conveyor.workflow.checks.locate import locate
from conveyor.workflow.describe import describe_path
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
    pieces: list[tuple[int, str]] = []
    for span in spans:
        if not span.expr:
            _report(
                ctx,
                path,
                span.start,
                "an expression was expected inside '${{ }}'; write one or remove the braces",
                "expression",
            )
        elif len(span.expr) > MAX_EXPRESSION_LENGTH:
            _report(
                ctx,
                path,
                span.expr_start,
                f"the expression has {len(span.expr):,} characters, more than GitHub's limit "
                f"of {MAX_EXPRESSION_LENGTH:,}; shorten it",
                "expression",
            )
        else:
            pieces.append((span.expr_start, span.expr))
    return pieces


def _arity_text(low: int, high: int | None) -> str:
    if high is None:
        return f"at least {low} argument(s)"
    return "no arguments" if high == 0 else f"{low} to {high} arguments"


def _check_functions(
    ctx: CheckContext, site: tuple[Path, int, str], node: Node, avail: Availability
) -> None:
    path, offset, expr = site
    for call in calls(node):
        low = call.name.lower()
        if low not in SPECIAL_FUNCTIONS:
            continue
        at = offset + _name_offset(expr, low)
        shown = _DISPLAY.get(low, low)
        arity = avail.arity(low)
        if arity is None:
            if low == "hashfiles":
                msg = f"'{shown}()' is only available in step keys (run, with, env, if, ...), "
            else:
                msg = f"status function '{shown}()' is only allowed in 'if' conditions, "
            _report(ctx, path, at, msg + f"not in {avail.where}", "context")
        elif not arity[0] <= len(call.args) <= (arity[1] if arity[1] is not None else 1 << 30):
            _report(
                ctx,
                path,
                at,
                f"'{shown}()' takes {_arity_text(*arity)} in {avail.where}, got {len(call.args)}",
                "context",
            )


def _check_uses(
    ctx: CheckContext, site: tuple[Path, int, str], node: Node, avail: Availability
) -> None:
    path, offset, expr = site
    for name in sorted(referenced_contexts(node)):
        if name.lower() not in avail.contexts:
            allowed = ", ".join(sorted(avail.contexts))
            msg = f"context '{name}' is not available in {avail.where}; use one of: {allowed}"
            _report(ctx, path, offset + _name_offset(expr, name), msg, "context")
    if referenced_functions(node) & SPECIAL_FUNCTIONS:
        _check_functions(ctx, site, node, avail)


def _not_allowed(ctx: CheckContext, path: Path, offset: int, avail: Availability) -> None:
    _report(
        ctx,
        path,
        offset,
        f"expressions are not allowed in {avail.where}; GitHub reads it as it is written, "
        "remove the '${{ }}'",
        "expression-place",
    )


def _check_value(ctx: CheckContext, path: Path, value: str) -> None:
    avail = availability(path, is_action=ctx.is_action)
    if OPEN not in value and not avail.implicit:
        return
    for offset, expr in _pieces(ctx, path, value):
        if is_insert(expr):
            _report(
                ctx,
                path,
                offset,
                "'insert' is only allowed as a whole mapping key ('${{ insert }}: ...')",
                "expression",
            )
            continue
        if not avail.allows_expressions:
            _not_allowed(ctx, path, offset, avail)
            return
        try:
            node = parse(expr, arity=dict(avail.functions))
        except ExpressionSyntaxError as exc:
            where = offset + max(exc.column, 1) - 1
            _report(ctx, path, where, f"expression syntax error: {exc.message}", "expression")
            continue
        _check_uses(ctx, (path, offset, expr), node, avail)


def _check_key(ctx: CheckContext, parent: Path, key: str) -> bool:
    """An expression used as a mapping key: allowed where the mapping takes expressions.
    False when the key is refused (its value is then not checked on its own)."""
    avail = availability(parent, is_action=ctx.is_action)
    pos = ctx.doc.key((*parent, key))
    try:
        spans = find_expressions(key)
    except ExpressionSyntaxError as exc:
        ctx.error_at(pos.line, pos.col, f"expression error: {exc.message}", "expression")
        return False
    for span in spans:
        if not avail.allows_expressions:
            ctx.error_at(
                pos.line,
                pos.col,
                f"expressions are not allowed as keys in {describe_path(parent)}; "
                "write the key out",
                "expression-place",
            )
            return False
        if is_insert(span.expr):
            if span.start or span.end != len(key):
                ctx.error_at(
                    pos.line,
                    pos.col,
                    "'insert' must be the whole key ('${{ insert }}'), not part of it",
                    "expression",
                )
            continue
        if not span.expr:
            ctx.error_at(
                pos.line, pos.col, "an expression was expected inside '${{ }}'", "expression"
            )
            continue
        try:
            node = parse(span.expr)
        except ExpressionSyntaxError as exc:
            ctx.error_at(pos.line, pos.col, f"expression syntax error: {exc.message}", "expression")
            continue
        for name in sorted(referenced_contexts(node)):
            if name.lower() not in avail.contexts:
                allowed = ", ".join(sorted(avail.contexts))
                ctx.error_at(
                    pos.line,
                    pos.col,
                    f"context '{name}' is not available in {avail.where}; use one of: {allowed}",
                    "context",
                )
    return True


def check_expressions(ctx: CheckContext) -> None:
    refused: list[Path] = []
    for path, value in ctx.doc.walk():
        if refused and any(path[: len(r)] == r for r in refused):
            continue
        if isinstance(value, str):
            if OPEN in value or path[-1:] in _IF_TAILS:
                _check_value(ctx, path, value)
        elif isinstance(value, dict):
            for key in value:
                if OPEN in key and not _check_key(ctx, path, key):
                    refused.append((*path, key))
