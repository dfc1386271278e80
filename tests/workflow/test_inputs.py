"""The one input coercion: table-driven over both events and both kinds of declaration."""

from __future__ import annotations

from typing import Any

import pytest

from conveyor.workflow import load_workflow_text
from conveyor.workflow.inputs import (
    InputError,
    declared_from_block,
    declared_inputs_from_data,
    declared_inputs_of,
    resolve_inputs,
)

CALLED = """\
on:
  workflow_call:
    inputs:
      flag: {type: boolean}
      count: {type: number}
      name: {type: string, default: "${{ github.actor }}"}
      level: {type: number, default: 2}
jobs:
  a: {runs-on: x, steps: [{run: x}]}
"""


def test_model_and_raw_declarations_resolve_alike() -> None:
    loaded = load_workflow_text(CALLED, "called.yml", root="")
    assert loaded.ok, loaded.diagnostics
    from_model = declared_inputs_of(loaded, "workflow_call")
    from_data = declared_inputs_from_data(loaded.document.data, "workflow_call")
    given = {"flag": True, "count": "4"}
    assert resolve_inputs(from_model, given).typed == resolve_inputs(from_data, given).typed


@pytest.mark.parametrize(
    ("given", "typed"),
    [
        ({}, {"flag": False, "count": 0, "name": "${{ github.actor }}", "level": 2}),
        ({"flag": True, "count": 7}, {"flag": True, "count": 7}),
        ({"flag": "TRUE", "count": "2.5"}, {"flag": True, "count": 2.5}),
        ({"name": 3}, {"name": "3"}),  # a string input takes GitHub's string form
    ],
)
def test_workflow_call_values(given: dict[str, Any], typed: dict[str, Any]) -> None:
    declared = declared_inputs_from_data(load_workflow_text(CALLED).document.data, "workflow_call")
    got = resolve_inputs(declared, given).typed
    for key, value in typed.items():
        assert got[key] == value and type(got[key]) is type(value)


def test_defaults_can_be_rendered_first() -> None:
    declared = declared_inputs_from_data(load_workflow_text(CALLED).document.data, "workflow_call")
    got = resolve_inputs(declared, {}, render_default=lambda v: "octo" if "${{" in str(v) else v)
    assert got.typed["name"] == "octo"


@pytest.mark.parametrize(
    ("given", "fragment"),
    [
        ({"flag": 1}, "input 'flag' must be true or false"),
        ({"count": True}, "input 'count' must be a number"),
        ({"count": "nan"}, "input 'count' must be a number"),
        ({"count": "inf"}, "input 'count' must be a number"),
    ],
)
def test_workflow_call_refusals(given: dict[str, Any], fragment: str) -> None:
    declared = declared_inputs_from_data(load_workflow_text(CALLED).document.data, "workflow_call")
    with pytest.raises(InputError, match=fragment):
        resolve_inputs(declared, given)


@pytest.mark.parametrize(
    ("options", "given", "typed"),
    [
        ([1, 2], "1", "1"),
        ([1.5, 2], "1.5", "1.5"),
        ([True, False], "true", "true"),
        (["a", "b"], "b", "b"),
    ],
)
def test_choice_options_compare_as_strings(options: list[Any], given: str, typed: str) -> None:
    declared = declared_from_block(
        "workflow_dispatch", {"c": {"type": "choice", "options": options}}
    )
    got = resolve_inputs(declared, {"c": given})
    assert got.typed == {"c": typed} and got.strings == {"c": typed}


def test_undeclared_inputs_kept_only_when_asked() -> None:
    declared = declared_from_block("workflow_dispatch", {"a": {"type": "string"}})
    with pytest.raises(InputError, match="'b' is not declared"):
        resolve_inputs(declared, {"b": "1"})
    assert resolve_inputs(declared, {"b": "1"}, undeclared="keep").typed == {"a": "", "b": "1"}
    # events without inputs pass given values through
    push = declared_from_block("push", None)
    assert resolve_inputs(push, {"x": "y"}).typed == {"x": "y"}
