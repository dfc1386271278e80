"""The pure built-in functions (those that need neither job status nor files)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from conveyor.errors import ExpressionEvalError
from conveyor.expressions.values import (
    ARRAY,
    equal,
    fold,
    is_primitive,
    kind,
    normalize_number,
    to_json,
    to_string,
)


def fn_contains(haystack: Any, needle: Any) -> bool:
    if is_primitive(haystack):
        return fold(to_string(needle)) in fold(to_string(haystack))
    if kind(haystack) == ARRAY:
        return any(equal(item, needle) for item in haystack)
    return False


def fn_startswith(text: Any, prefix: Any) -> bool:
    if not (is_primitive(text) and is_primitive(prefix)):
        return False
    return fold(to_string(text)).startswith(fold(to_string(prefix)))


def fn_endswith(text: Any, suffix: Any) -> bool:
    if not (is_primitive(text) and is_primitive(suffix)):
        return False
    return fold(to_string(text)).endswith(fold(to_string(suffix)))


def fn_join(items: Any, *separator: Any) -> str:
    if kind(items) == ARRAY:
        sep = ","
        if separator and is_primitive(separator[0]):
            sep = to_string(separator[0])
        return sep.join(to_string(item) for item in items)
    return to_string(items) if is_primitive(items) else ""


def fn_tojson(value: Any) -> str:
    return to_json(value)


def fn_fromjson(value: Any) -> Any:
    text = to_string(value)
    try:
        result = json.loads(text, parse_float=_json_float, parse_constant=float)
    except json.JSONDecodeError as exc:
        raise ExpressionEvalError(
            f"Error parsing fromJson: {exc.msg} at line {exc.lineno} column {exc.colno}: "
            f"{text[:100]!r}",
            expression=text,
        ) from exc
    return result


def _json_float(raw: str) -> int | float:
    return normalize_number(float(raw))


def fn_format(template: Any, *args: Any) -> str:
    text = to_string(template)
    out: list[str] = []
    i = 0
    n = len(text)
    while i < n:
        brace = _next_brace(text, i)
        if brace < 0:
            out.append(text[i:])
            break
        out.append(text[i:brace])
        if text.startswith("{{", brace) or text.startswith("}}", brace):
            out.append(text[brace])
            i = brace + 2
            continue
        close = text.find("}", brace + 1) if text[brace] == "{" else -1
        spec = text[brace + 1 : close]
        if close < 0 or not (spec.isascii() and spec.isdigit()):
            raise ExpressionEvalError(f"The following format string is invalid: {text}")
        index = int(spec)
        if index >= len(args):
            raise ExpressionEvalError(
                f"The following format string references more arguments than were supplied: {text}"
            )
        out.append(to_string(args[index]))
        i = close + 1
    return "".join(out)


def _next_brace(text: str, start: int) -> int:
    a = text.find("{", start)
    b = text.find("}", start)
    if a < 0:
        return b
    if b < 0:
        return a
    return min(a, b)


PURE_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "contains": fn_contains,
    "startswith": fn_startswith,
    "endswith": fn_endswith,
    "join": fn_join,
    "tojson": fn_tojson,
    "fromjson": fn_fromjson,
    "format": fn_format,
}
