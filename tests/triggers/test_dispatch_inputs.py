"""workflow_dispatch inputs: types, choices, required, defaults, positions in errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conveyor.errors import UserError
from conveyor.workflow import load_workflow
from conveyor.workflow.inputs import validate_dispatch_inputs

WORKFLOW = """\
on:
  workflow_dispatch:
    inputs:
      level:
        type: choice
        options: [info, warning, debug]
        default: warning
      dry:
        type: boolean
      retries:
        type: number
        default: 3
      target:
        type: environment
        required: true
        default: staging
      note:
        description: free text
      ticket:
        type: string
        required: true
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - run: echo hi
"""


@pytest.fixture
def loaded(tmp_path: Path) -> Any:
    path = tmp_path / "dispatch.yml"
    path.write_text(WORKFLOW, encoding="utf-8")
    item = load_workflow(str(path))
    assert item.ok, item.diagnostics
    return item


def test_defaults_and_typed_values(loaded: Any) -> None:
    got = validate_dispatch_inputs(loaded, {"ticket": "T-1"})
    assert got.typed == {
        "level": "warning",
        "dry": False,
        "retries": 3,
        "target": "staging",
        "note": "",
        "ticket": "T-1",
    }
    assert got.strings == {
        "level": "warning",
        "dry": "false",
        "retries": "3",
        "target": "staging",
        "note": "",
        "ticket": "T-1",
    }


@pytest.mark.parametrize(
    ("given", "typed"),
    [
        ({"dry": "true"}, {"dry": True}),
        ({"dry": "FALSE"}, {"dry": False}),
        ({"retries": "7"}, {"retries": 7}),
        ({"retries": "2.5"}, {"retries": 2.5}),
        ({"level": "debug"}, {"level": "debug"}),
        ({"target": "prod"}, {"target": "prod"}),
        ({"note": "a b"}, {"note": "a b"}),
    ],
)
def test_valid_values(loaded: Any, given: dict[str, str], typed: dict[str, Any]) -> None:
    got = validate_dispatch_inputs(loaded, {"ticket": "T", **given})
    for key, value in typed.items():
        assert got.typed[key] == value and type(got.typed[key]) is type(value)
        assert got.strings[key] == given[key].lower() if key == "dry" else given[key]


@pytest.mark.parametrize(
    ("given", "message", "line"),
    [
        ({"dry": "yes"}, "input 'dry' must be true or false", 8),
        ({"retries": "many"}, "input 'retries' must be a number", 10),
        ({"level": "trace"}, "input 'level' must be one of [info, warning, debug]", 4),
        ({}, "input 'ticket' is required", 19),
        ({"bogus": "1"}, "input 'bogus' is not declared", 3),
        ({"target": " "}, "input 'target' must name an environment", 13),
    ],
)
def test_invalid_values_name_the_input_and_its_line(
    loaded: Any, given: dict[str, str], message: str, line: int
) -> None:
    if "ticket" not in given and message.find("ticket") < 0:
        given = {"ticket": "T", **given}
    with pytest.raises(UserError) as info:
        validate_dispatch_inputs(loaded, given)
    text = str(info.value)
    assert message in text
    assert text.startswith(f"{loaded.path}:{line}:")
    assert info.value.exit_code == 2
