"""`conveyor eval`: evaluate one GitHub expression (or a text with ``${{ }}``) locally.

Prints the result as JSON (integral numbers as ``3``, not ``3.0``); ``--if`` prints
``true``/``false`` using ``if:`` semantics. Named-values allowed: the standard contexts
plus the top-level keys of the ``--context`` file.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any

import typer

from conveyor.errors import ExpressionSyntaxError, UserError
from conveyor.expressions import (
    evaluate,
    evaluate_if,
    evaluate_template,
    find_expressions,
)
from conveyor.expressions.templates import parse_at

STANDARD_CONTEXTS = (
    "github",
    "env",
    "vars",
    "job",
    "jobs",
    "steps",
    "runner",
    "secrets",
    "strategy",
    "matrix",
    "needs",
    "inputs",
)


def load_contexts(path: Path) -> dict[str, Any]:
    """Read a JSON object of contexts; bad input is a UserError naming the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(f"{path}: context file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: cannot read context file: {exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UserError(
            f"{path}:{exc.lineno}:{exc.colno}: invalid JSON in context file: {exc.msg}"
        ) from None
    if not isinstance(data, dict):
        raise UserError(
            f"{path}: the context file must hold a JSON object such as "
            f'{{"github": {{...}}, "env": {{...}}}}, not {type(data).__name__}'
        )
    return data


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _hint(message: str, allowed: list[str]) -> str:
    if message.startswith("Unrecognized named-value"):
        return (
            f"known contexts: {', '.join(allowed)}; add others as top-level keys of a "
            "--context FILE.json"
        )
    if message.startswith("Unrecognized function"):
        return "functions: contains startsWith endsWith format join toJSON fromJSON hashFiles case success always failure cancelled"  # noqa: E501
    return (
        "check the syntax: strings use single quotes ('text'), operators are "
        "! < <= > >= == != && ||, property access is a.b or a['b']"
    )


def _validate(text: str, allowed: list[str]) -> None:
    """Parse every expression in ``text`` with the allowed named-values."""
    try:
        spans = find_expressions(text)
        pieces = [(s.expr, s.expr_start) for s in spans]
        if not spans:
            stripped = text.strip()
            pieces = [(stripped, text.find(stripped[:1]) if stripped else 0)]
        for expr, offset in pieces:
            parse_at(expr, text, offset, named_values=allowed)
    except ExpressionSyntaxError as exc:
        line, col = _position(text, max(exc.column, 1) - 1)
        raise ExpressionSyntaxError(
            f"expression:{line}:{col}: {exc.message}\n  hint: {_hint(exc.message, allowed)}",
            expression=text,
            column=exc.column,
        ) from None


def plain(value: Any) -> Any:
    """JSON-ready copy: integral floats become ints (GitHub prints ``3``, not ``3.0``)."""
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return value


def register(app: typer.Typer) -> None:
    """Add the command to the app."""

    @app.command("eval")
    def eval_command(
        expression: Annotated[
            str, typer.Argument(help="Expression, bare or in ${{ }}, or text with ${{ }}.")
        ],
        context: Annotated[
            Path | None,
            typer.Option("--context", "-c", help="JSON file: an object of contexts."),
        ] = None,
        as_if: Annotated[
            bool, typer.Option("--if", help="Evaluate as an if: condition; print true/false.")
        ] = False,
    ) -> None:
        """Evaluate a GitHub Actions expression and print the result as JSON."""
        contexts = load_contexts(context) if context is not None else {}
        allowed = sorted({*STANDARD_CONTEXTS, *(str(k).lower() for k in contexts)})
        _validate(expression, allowed)
        if as_if:
            typer.echo("true" if evaluate_if(expression, contexts) else "false")
            return
        if find_expressions(expression):
            result = evaluate_template(expression, contexts)
        else:
            result = evaluate(expression.strip(), contexts)
        typer.echo(json.dumps(plain(result), ensure_ascii=False))
