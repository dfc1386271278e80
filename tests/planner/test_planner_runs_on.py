"""runs-on resolution: forms, expressions per combination, memo correctness."""

from __future__ import annotations

from typing import Any

import pytest

from conveyor.planner import RunsOn, resolve_runs_on, resolve_runs_on_each


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("ubuntu-latest", RunsOn(("ubuntu-latest",))),
        (["self-hosted", "linux"], RunsOn(("self-hosted", "linux"))),
        ({"group": "big", "labels": ["x64"]}, RunsOn(("x64",), "big")),
        ({"group": "big", "labels": "x64"}, RunsOn(("x64",), "big")),
        ({"group": "big"}, RunsOn((), "big")),
        (None, RunsOn(())),
    ],
)
def test_forms(value: Any, expected: RunsOn) -> None:
    assert resolve_runs_on(value, {}) == expected


def test_expression_yielding_list_or_group() -> None:
    ctx = {"inputs": {"r": '["a","b"]'}}
    assert resolve_runs_on("${{ fromJSON(inputs.r) }}", ctx) == RunsOn(("a", "b"))
    assert resolve_runs_on('${{ fromJSON(\'{"group":"g","labels":["l"]}\') }}', {}) == RunsOn(
        ("l",), "g"
    )
    assert resolve_runs_on(["self-hosted", "${{ inputs.r != '' }}"], ctx).labels == (
        "self-hosted",
        "true",
    )


def test_dynamic_is_kept_as_text() -> None:
    result = resolve_runs_on("${{ needs.setup.outputs.runner }}", {"github": {}})
    assert result.dynamic and result.labels == ("${{ needs.setup.outputs.runner }}",)


def test_each_combination() -> None:
    combos = [{"os": "a", "v": 1}, {"os": "b", "v": 1}, {"os": "a", "v": 2}]
    result = resolve_runs_on_each("${{ matrix.os }}", {}, combos)
    assert [r.labels for r in result] == [("a",), ("b",), ("a",)]
    assert result[0] is result[2]  # memoised on the values read


def test_each_case_insensitive_and_missing_keys() -> None:
    combos: list[dict[str, Any]] = [{"OS": "a"}, {"OS": "b"}, {"other": 1}]
    result = resolve_runs_on_each("${{ matrix.os || 'none' }}", {}, combos)
    assert [r.labels for r in result] == [("a",), ("b",), ("none",)]
    result = resolve_runs_on_each("${{ MATRIX.Os }}", {}, combos[:2])
    assert [r.labels for r in result] == [("a",), ("b",)]


def test_each_keeps_booleans_apart_from_numbers() -> None:
    combos: list[dict[str, Any]] = [{"x": True}, {"x": 1}]
    result = resolve_runs_on_each("${{ matrix.x }}", {}, combos)
    assert [r.labels for r in result] == [("true",), ("1",)]


def test_each_whole_matrix_and_object_values() -> None:
    combos: list[dict[str, Any]] = [{"n": {"v": 1}}, {"n": {"v": 2}}, {"n": {"v": 1}}]
    result = resolve_runs_on_each("${{ format('r{0}', matrix.n.v) }}", {}, combos)
    assert [r.labels for r in result] == [("r1",), ("r2",), ("r1",)]
    result = resolve_runs_on_each("${{ toJSON(matrix) != '' && 'x' }}", {}, combos)
    assert [r.labels for r in result] == [("x",)] * 3


def test_each_without_expression_shares_one_result() -> None:
    result = resolve_runs_on_each("ubuntu", {}, [{"a": 1}, {"a": 2}])
    assert result[0] is result[1] and result[0].labels == ("ubuntu",)
