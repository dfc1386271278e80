"""The expression lexer, parser and evaluator never fail with anything but conveyor's own
errors, for any expression text and any contexts."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st
from property_helpers import contexts, expressions

from conveyor.errors import ConveyorError
from conveyor.expressions import evaluate, evaluate_if, interpolate, parse, to_json, to_string
from conveyor.expressions.lexer import tokenize

pytestmark = pytest.mark.property


@given(expressions | st.text(max_size=60))
def test_lexing_and_parsing_any_text(text: str) -> None:
    with contextlib.suppress(ConveyorError):
        tokenize(text)
    try:
        parse(text)
    except ConveyorError:
        return


@given(expressions, contexts)
def test_evaluating_any_expression_against_any_contexts(text: str, ctx: dict) -> None:
    try:
        value = evaluate(text, ctx)
    except ConveyorError:
        return
    to_string(value)
    to_json(value)


@given(st.lists(expressions | st.text(max_size=10), max_size=4), contexts)
def test_templates_and_if_conditions(parts: list[str], ctx: dict) -> None:
    template = "x ${{ " + " }} y ${{ ".join(parts) + " }} z" if parts else "plain ${{"
    for call in (lambda: interpolate(template, ctx), lambda: evaluate_if(template, ctx)):
        try:
            call()
        except ConveyorError:
            continue
