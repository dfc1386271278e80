"""Shared building blocks of the workflow model: base config and value types.

The value types follow GitHub's parser (its ``workflow-v1.0`` schema):

- where a *string* is expected, any scalar is read as its text (``name: 3.12``,
  ``run: true``), and an empty value (null) as the empty string;
- a *non-empty string* refuses the empty string and null;
- booleans and numbers are only booleans and numbers;
- where a key accepts expressions, one whole ``${{ ... }}`` (:data:`Expr`) may stand
  for a value of any type. Whether a key accepts expressions, and which contexts they
  may use, is checked by ``checks/contexts.py``, so the model may allow :data:`Expr`
  wherever GitHub's type allows it.

Keys are the dashed YAML spellings only (aliases; no population by field name), so an
underscore spelling such as ``runs_on`` is an unknown key.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, PlainValidator
from pydantic_core import PydanticCustomError

from conveyor.expressions.templates import OPEN


class Model(BaseModel):
    """Base of every model: dashed keys via aliases, unknown keys rejected, no coercion."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        populate_by_name=False,
        frozen=True,
        arbitrary_types_allowed=False,
        defer_build=True,
    )


def is_expression(value: object) -> bool:
    """True for a string that is one whole ``${{ ... }}`` expression."""
    if not isinstance(value, str):
        return False
    text = value.strip()
    return text.startswith(OPEN) and text.endswith("}}")


def _expected(what: str) -> PydanticCustomError:
    return PydanticCustomError("expected", "{expected}", {"expected": what})


def _expr(value: Any) -> str:
    if is_expression(value):
        return str(value)
    raise _expected("an expression '${{ ... }}'")


def scalar_text(value: Any) -> Any:
    """GitHub reads a boolean or number where text is expected as its text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return value


def _non_empty(value: str) -> str:
    if value == "":
        raise _expected("a non-empty string")
    return value


def _not_null(value: Any) -> Any:
    # Runs only for a value written in the file (defaults are not validated).
    if value is None:
        raise _expected("given a value (fill it in or remove the key)")
    return value


Expr = Annotated[str, PlainValidator(_expr)]
"""A string holding one whole expression, accepted where GitHub takes one for a typed value."""

Text = Annotated[str, BeforeValidator(scalar_text)]
"""A string; a plain boolean or number is read as its text."""

NonEmpty = Annotated[str, BeforeValidator(scalar_text), AfterValidator(_non_empty)]
"""A non-empty string (a plain boolean or number is read as its text)."""

NN = AfterValidator(_not_null)
"""Marks an optional field that may be left out but not written empty (``key:`` alone):
``Annotated[bool | None, NN]``. GitHub reads an empty value as the empty string, which
only string-typed keys accept."""

OptNonEmpty = Annotated[NonEmpty | None, NN]
"""An optional non-empty string."""

Number = int | float
"""A number (GitHub's numbers are doubles: huge values become infinity)."""

Scalar = str | bool | int | float | None
"""A value of ``env``/``with``/``outputs`` maps: coerced to a string by the engine."""

StrList = NonEmpty | list[NonEmpty]
"""One non-empty string or a list of them (filters, ``needs``, ``types``)."""

Env = dict[str, Scalar] | Expr
"""An ``env`` map (or one expression that yields it)."""

IfValue = str | bool | int | float
"""An ``if:`` condition: an expression with or without ``${{ }}``, or a literal."""


def as_list(value: str | list[str] | None) -> list[str]:
    """Normalise a ``str | list[str]`` field to a list."""
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)
