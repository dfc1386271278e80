"""The public API beyond the conformance data: parse options, analysis, coercions."""

from __future__ import annotations

import math
from typing import Any

import pytest

import conveyor.expressions as ex
from conveyor.errors import ExpressionEvalError, ExpressionSyntaxError, UserError
from conveyor.expressions import (
    BUILTIN_FUNCTIONS,
    STATUS_FUNCTIONS,
    Node,
    evaluate,
    parse,
    referenced_contexts,
    referenced_functions,
    to_json,
    to_string,
    truthy,
)


def test_exports() -> None:
    for name in ex.__all__:
        assert hasattr(ex, name)
    assert {"success", "always", "failure", "cancelled"} == STATUS_FUNCTIONS
    assert STATUS_FUNCTIONS < BUILTIN_FUNCTIONS
    assert {"contains", "startswith", "endswith", "format", "join", "tojson", "fromjson"} < (
        BUILTIN_FUNCTIONS
    )
    assert {"hashfiles", "case"} < BUILTIN_FUNCTIONS


def test_errors_are_user_errors_with_exit_code_2() -> None:
    with pytest.raises(UserError) as info:
        parse("1 <")
    assert info.value.exit_code == 2


def test_parse_is_cached() -> None:
    first = parse("github.ref == 'refs/heads/main' && !cancelled()")
    assert parse("github.ref == 'refs/heads/main' && !cancelled()") is first
    assert isinstance(first, Node)


@pytest.mark.parametrize(
    ("expr", "contexts", "functions"),
    [
        ("1", set(), set()),
        ("github.ref", {"github"}, set()),
        ("GitHub.REF == Env.x", {"github", "env"}, set()),
        ("steps.a.outputs['x'] || matrix.*.y", {"steps", "matrix"}, set()),
        ("toJSON(needs)", {"needs"}, {"tojson"}),
        (
            "always() && contains(fromJSON(inputs.list), Format('{0}', job.status))",
            {"inputs", "job"},
            {"always", "contains", "fromjson", "format"},
        ),
        ("!Cancelled()", set(), {"cancelled"}),
    ],
)
def test_referenced(expr: str, contexts: set[str], functions: set[str]) -> None:
    node = parse(expr)
    assert referenced_contexts(node) == contexts
    assert referenced_functions(node) == functions


def test_named_values_restriction_is_case_insensitive() -> None:
    assert parse("GITHUB.sha", named_values=["github"]) is not None
    assert parse("github.sha", named_values=("GitHub",)) is not None
    with pytest.raises(ExpressionSyntaxError) as info:
        parse("github.sha || vars.x", named_values=["github"])
    assert info.value.message.startswith("Unrecognized named-value: 'vars'. Located at position 15")
    assert info.value.column == 15
    assert info.value.expression == "github.sha || vars.x"


def test_functions_restriction() -> None:
    assert parse("ToJson(1)", functions=["toJSON"]) is not None
    with pytest.raises(ExpressionSyntaxError, match="Unrecognized function: 'hashFiles'"):
        parse("hashFiles('x')", functions=["toJSON"])
    with pytest.raises(ExpressionSyntaxError, match="Unrecognized function: 'nope'"):
        parse("nope()")


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("success(1)", "Too many parameters supplied: 'success'"),
        ("format()", "Too few parameters supplied: 'format'"),
        ("hashFiles()", "Too few parameters supplied: 'hashFiles'"),
        ("case(true, 1)", "Too few parameters supplied: 'case'"),
        ("toJSON(1, 2)", "Too many parameters supplied: 'toJSON'"),
    ],
)
def test_arity(expr: str, message: str) -> None:
    with pytest.raises(ExpressionSyntaxError, match=message):
        parse(expr)


def test_deep_nesting_is_a_clean_error() -> None:
    with pytest.raises(ExpressionSyntaxError, match="Exceeded max expression depth 50"):
        parse("(" * 5000 + "1" + ")" * 5000)
    with pytest.raises(ExpressionSyntaxError, match="Exceeded max expression depth 50"):
        parse("!" * 5000 + "1")
    assert parse(" || ".join(["1"] * 2000)) is not None  # n-ary, not deep


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        (True, "true"),
        (False, "false"),
        (3, "3"),
        (3.0, "3"),
        (-0.0, "0"),
        (0.1, "0.1"),
        (1e21, "1E+21"),
        (1e15, "1E+15"),
        (123456789012345.0, "123456789012345"),
        (1e-7, "1E-07"),
        (0.0001, "0.0001"),
        (2**60, "1.15292150460685E+18"),
        (math.nan, "NaN"),
        (-math.inf, "-Infinity"),
        ("s", "s"),
        ([1], "Array"),
        ({}, "Object"),
    ],
)
def test_to_string(value: Any, text: str) -> None:
    assert to_string(value) == text


def test_to_json() -> None:
    value = {"a": [1, 2.5, None, True], "b": {}, "c": [], "d": "x\"y'\nü", "e": 1.0}
    assert to_json(value) == (
        '{\n  "a": [\n    1,\n    2.5,\n    null,\n    true\n  ],\n  "b": {},\n  "c": [],\n'
        '  "d": "x\\"y\'\\nü",\n  "e": 1\n}'
    )
    assert to_json("a") == '"a"'
    assert to_json(-0.0) == "0"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, False),
        (False, False),
        (0, False),
        (-0.0, False),
        (math.nan, False),
        ("", False),
        ("0", True),
        ("false", True),
        ([], True),
        ({}, True),
        (0.5, True),
    ],
)
def test_truthy(value: Any, expected: bool) -> None:
    assert truthy(value) is expected


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("1", 1),
        ("0xff", 255),
        ("1e3", 1000),
        ("1.5", 1.5),
        ("'it''s'", "it's"),
        ("matrix.*", ["a", "b"]),
        ("matrix[*]", ["a", "b"]),
        ("case(matrix.x == 'A', matrix.*, 0)", ["a", "b"]),
        ("env.NAME", "x"),
        ("ENV.name", "x"),
        ("env['Name']", "x"),
        ("missing.x", None),
        ("'ABC' == 'abc'", True),
        ("contains(fromJSON('[\"A\", \"b\"]'), 'a')", True),
        ("join(matrix.*, '+')", "a+b"),
    ],
)
def test_evaluate(expr: str, expected: Any) -> None:
    contexts = {"matrix": {"x": "a", "y": "b"}, "ENV": {"NAME": "x"}}
    result = evaluate(expr, contexts)
    assert result == expected
    assert type(result) is type(expected)


def test_status_functions() -> None:
    from conveyor.expressions import Status

    ctx: dict[str, Any] = {}
    assert evaluate("success()", ctx) is True
    assert evaluate("failure()", ctx, status=Status(failed=True)) is True
    assert evaluate("success()", ctx, status=Status(failed=True)) is False
    assert evaluate("cancelled()", ctx, status=Status(cancelled=True)) is True
    assert evaluate("success()", ctx, status=Status(cancelled=True)) is False
    assert evaluate("always()", ctx, status=Status(failed=True, cancelled=True)) is True


def test_hash_files_callback() -> None:
    seen: list[list[str]] = []

    def fake(patterns: Any) -> str:
        seen.append(list(patterns))
        return "abc"

    assert evaluate("hashFiles('**/*.lock', 1, null)", {}, hash_files=fake) == "abc"
    assert seen == [["**/*.lock", "1", ""]]


def test_memory_limit() -> None:
    big = "format('{0}{0}{0}{0}{0}{0}{0}{0}', format('{0}{0}{0}{0}{0}{0}{0}{0}', env.s))"
    ctx = {"env": {"s": "x" * 5_000}}
    assert len(evaluate(big, ctx)) == 320_000  # 640 KB as .NET counts: fine
    with pytest.raises(ExpressionEvalError, match="maximum allowed memory size"):
        evaluate(f"startsWith({big}, {big})", ctx)  # both held at once: over 1 MiB


def test_eval_errors() -> None:
    with pytest.raises(ExpressionEvalError, match="Error parsing fromJson"):
        evaluate("fromJSON('{')", {})
    with pytest.raises(ExpressionEvalError, match="case predicate"):
        evaluate("case('x', 1, 2)", {})
