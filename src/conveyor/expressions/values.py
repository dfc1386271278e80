"""GitHub's value model: kinds, coercion to string/number/boolean, comparison, toJSON.

Values are plain Python: ``None``, ``bool``, ``int``/``float``, ``str``, ``list`` (or
tuple), and ``dict`` (or any Mapping). Strings compare with .NET "ordinal ignore case":
each character is upper-cased with its simple one-to-one mapping, except that no
non-ASCII character folds onto an ASCII one (so ``ı`` != ``I`` and ``İ`` != ``i``).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

NULL, BOOLEAN, NUMBER, STRING, ARRAY, OBJECT = range(6)

_DECIMAL = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z")
_HEX = re.compile(r"[0-9a-fA-F]+\Z")
_OCT = re.compile(r"[0-7]+\Z")
_SPECIAL = {"Infinity": math.inf, "+Infinity": math.inf, "-Infinity": -math.inf, "NaN": math.nan}


class Filtered(list[Any]):
    """The result of ``.*``/``[*]``: later property/index steps apply to every item."""

    __slots__ = ()


def kind(value: Any) -> int:
    """The GitHub kind of a Python value."""
    t = type(value)
    if t is str:
        return STRING
    if value is None:
        return NULL
    if t is bool:
        return BOOLEAN
    if t is int or t is float:
        return NUMBER
    if t is dict or t is list or t is Filtered:
        return OBJECT if t is dict else ARRAY
    if isinstance(value, str):
        return STRING
    if isinstance(value, bool):
        return BOOLEAN
    if isinstance(value, int | float):
        return NUMBER
    if isinstance(value, list | tuple):
        return ARRAY
    if isinstance(value, Mapping):
        return OBJECT
    return STRING  # anything else is treated as its string form


def is_primitive(value: Any) -> bool:
    return kind(value) < ARRAY


def parse_number(text: str) -> float | None:
    """GitHub's number syntax (decimal, ``0x``, ``0o``, Infinity, NaN); None if invalid."""
    if text.startswith("0x"):
        digits = text[2:]
        return float(int(digits, 16)) if _HEX.match(digits) else None
    if text.startswith("0o"):
        digits = text[2:]
        return float(int(digits, 8)) if _OCT.match(digits) else None
    if _DECIMAL.match(text):
        return float(text)
    return _SPECIAL.get(text)


def to_number(value: Any) -> float:
    k = kind(value)
    if k == NUMBER:
        return float(value)
    if k == NULL:
        return 0.0
    if k == BOOLEAN:
        return 1.0 if value else 0.0
    if k == STRING:
        text = str(value).strip()
        if not text:
            return 0.0
        number = parse_number(text)
        return math.nan if number is None else number
    return math.nan


def normalize_number(number: float) -> int | float:
    """An integral, finite, safely representable float becomes an int (-0.0 stays float)."""
    if number.is_integer() and abs(number) < 2**53 and (number or math.copysign(1, number) > 0):
        return int(number)
    return number


def format_number(value: float) -> str:
    """GitHub's number-to-string: .NET ``G15``, with ``-0`` printed as ``0``."""
    if type(value) is int and -(10**15) < value < 10**15:
        return str(value)
    number = float(value)
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    if number == 0:
        return "0"
    if number.is_integer() and abs(number) < 1e15:
        return str(int(number))
    return format(number, ".15G")


def to_string(value: Any) -> str:
    """GitHub string coercion: null -> '', true -> 'true', arrays -> 'Array', ..."""
    if type(value) is str:
        return value
    k = kind(value)
    if k == NULL:
        return ""
    if k == BOOLEAN:
        return "true" if value else "false"
    if k == NUMBER:
        return format_number(value)
    if k == ARRAY:
        return "Array"
    if k == OBJECT:
        return "Object"
    return str(value)


def truthy(value: Any) -> bool:
    """GitHub boolean coercion: null, false, 0, -0, NaN and '' are false; the rest true."""
    k = kind(value)
    if k == STRING:
        return bool(value)
    if k == NUMBER:
        return not (value == 0 or math.isnan(value))
    if k == BOOLEAN:
        return bool(value)
    return k != NULL


class _UpperTable(dict[int, int]):
    """``str.translate`` table computed on demand: simple upper-case mapping per char."""

    def __missing__(self, code: int) -> int:
        upper = chr(code).upper()
        mapped = ord(upper) if len(upper) == 1 else code
        if mapped < 128 <= code:  # e.g. dotless i, long s: not folded onto ASCII
            mapped = code
        self[code] = mapped
        return mapped


_UPPER = _UpperTable()


def fold(text: str) -> str:
    """Key for ordinal-ignore-case comparison."""
    return text.upper() if text.isascii() else text.translate(_UPPER)


def equal(left: Any, right: Any) -> bool:
    """GitHub ``==``."""
    lk, rk = kind(left), kind(right)
    if lk == rk:
        if lk == STRING:
            return left == right or fold(left) == fold(right)
        if lk >= ARRAY:
            return left is right
        return bool(left == right)
    if lk >= ARRAY or rk >= ARRAY:
        return False
    return to_number(left) == to_number(right)


def compare(op: str, left: Any, right: Any) -> bool:
    """GitHub ``< <= > >=`` (``==``/``!=`` via :func:`equal`)."""
    if op == "==":
        return equal(left, right)
    if op == "!=":
        return not equal(left, right)
    lk, rk = kind(left), kind(right)
    if lk != rk:
        if lk >= ARRAY or rk >= ARRAY:
            return False
        a: Any = to_number(left)
        b: Any = to_number(right)
    elif lk == STRING:
        a, b = fold(left), fold(right)
    elif lk == NULL:
        a = b = 0
    elif lk >= ARRAY:
        return op in ("<=", ">=") and left is right
    else:
        a, b = left, right
    if op == "<":
        return bool(a < b)
    if op == "<=":
        return bool(a <= b)
    if op == ">":
        return bool(a > b)
    return bool(a >= b)


def to_json(value: Any) -> str:
    """GitHub ``toJSON`` formatting: 2-space indent, ``"key": value``, numbers as G15."""
    parts: list[str] = []
    _json(value, "", parts)
    return "".join(parts)


def _json(value: Any, indent: str, out: list[str]) -> None:
    k = kind(value)
    if k == STRING:
        out.append(json.dumps(to_string(value), ensure_ascii=False))
    elif k == NULL:
        out.append("null")
    elif k == BOOLEAN:
        out.append("true" if value else "false")
    elif k == NUMBER:
        out.append(format_number(value))
    elif k == ARRAY:
        if not value:
            out.append("[]")
            return
        inner = indent + "  "
        out.append("[")
        for i, item in enumerate(value):
            out.append(",\n" + inner if i else "\n" + inner)
            _json(item, inner, out)
        out.append("\n" + indent + "]")
    else:
        if not value:
            out.append("{}")
            return
        inner = indent + "  "
        out.append("{")
        for i, (key, item) in enumerate(value.items()):
            out.append(",\n" + inner if i else "\n" + inner)
            out.append(json.dumps(to_string(key), ensure_ascii=False) + ": ")
            _json(item, inner, out)
        out.append("\n" + indent + "}")
