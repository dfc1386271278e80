"""Shared building blocks of the workflow model: base config and value types.

GitHub accepts an expression string (``${{ ... }}``) in place of many typed values
(``continue-on-error: ${{ matrix.experimental }}``); :data:`Expr` is that string.
Scalars in ``env``/``with`` may be numbers or booleans; the engine turns them into
strings later.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, PlainValidator
from pydantic_core import PydanticCustomError

from conveyor.expressions.templates import OPEN


class Model(BaseModel):
    """Base of every model: dashed keys via aliases, unknown keys rejected, no coercion."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        populate_by_name=True,
        frozen=True,
        arbitrary_types_allowed=False,
    )


def is_expression(value: object) -> bool:
    """True for a string that is one whole ``${{ ... }}`` expression."""
    if not isinstance(value, str):
        return False
    text = value.strip()
    return text.startswith(OPEN) and text.endswith("}}")


def _expr(value: Any) -> str:
    if is_expression(value):
        return str(value)
    raise PydanticCustomError("expected", "{expected}", {"expected": "an expression '${{ ... }}'"})


def _text(value: Any) -> Any:
    # GitHub reads a number where text is expected as its text (e.g. ``name: 3.12``).
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


Expr = Annotated[str, PlainValidator(_expr)]
"""A string holding one whole expression, accepted where GitHub takes one for a typed value."""

Text = Annotated[str, BeforeValidator(_text)]
"""A string; a plain number is read as its text."""

Scalar = str | bool | int | float | None
"""A value of ``env``/``with``/``outputs`` maps: coerced to a string by the engine."""

StrList = str | list[str]
"""One string or a list of them (filters, ``needs``, ``types``)."""

Env = dict[str, Scalar] | Expr
"""An ``env`` map (or one expression that yields it)."""

IfValue = str | bool | int | float
"""An ``if:`` condition: an expression with or without ``${{ }}``, or a literal."""


def as_list(value: str | list[str] | None) -> list[str]:
    """Normalise a ``str | list[str]`` field to a list."""
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)
