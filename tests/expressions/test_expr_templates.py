"""``${{ }}`` in text: find_expressions, interpolate, evaluate_template, evaluate_if."""

from __future__ import annotations

from typing import Any

import pytest

from conveyor.errors import ExpressionEvalError, ExpressionSyntaxError
from conveyor.expressions import (
    Span,
    Status,
    evaluate_if,
    evaluate_template,
    evaluate_value,
    find_expressions,
    interpolate,
    render_value,
)

CTX: dict[str, Any] = {
    "github": {"ref": "refs/heads/main", "event_name": "push", "workspace": "/nowhere"},
    "matrix": {"os": "linux", "py": 3.12, "n": 3},
    "env": {"EMPTY": "", "NAME": "conveyor"},
    "steps": {"build": {"outcome": "success", "outputs": {"list": "[1, 2]"}}},
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("no expressions", []),
        ("${{ 1 }}", [Span(0, 8, "1", 4)]),
        ("a ${{x}} b", [Span(2, 8, "x", 5)]),
        ("${{ 'a}}b' }}", [Span(0, 13, "'a}}b'", 4)]),
        ("${{ 'it''s}}' }}", [Span(0, 16, "'it''s}}'", 4)]),
        ("${{ 1 }}${{ 2 }}", [Span(0, 8, "1", 4), Span(8, 16, "2", 12)]),
        ("$ { } ${ {", []),
    ],
)
def test_find_expressions(text: str, expected: list[Span]) -> None:
    assert find_expressions(text) == expected


@pytest.mark.parametrize(
    ("text", "column"),
    [("${{ 1", 1), ("ok ${{ 1 }} then ${{ 'a }}", 18), ("${{ '}} }}", 1)],
)
def test_unterminated_expression(text: str, column: int) -> None:
    with pytest.raises(ExpressionSyntaxError) as info:
        find_expressions(text)
    assert info.value.column == column
    assert "Unterminated" in info.value.message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain", "plain"),
        ("v-${{ 1 }}", "v-1"),
        ("${{ matrix.os }}-py${{ matrix.py }}", "linux-py3.12"),
        ("${{ 'a}}b' }}!", "a}}b!"),
        ("[${{ env.EMPTY }}]", "[]"),
        ("${{ null }}", ""),
        ("${{ true }}/${{ 1 == 2 }}", "true/false"),
        ("  ${{ matrix.n }}  ", "  3  "),
        ("${{ github }}", "Object"),
        ("${{ fromJSON(steps.build.outputs.list) }}", "Array"),
        ("${{ format('{0}/{1}', env.NAME, matrix.os) }}", "conveyor/linux"),
    ],
)
def test_interpolate(text: str, expected: str) -> None:
    assert interpolate(text, CTX) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain ${ text", "plain ${ text"),
        ("${{ matrix.n }}", 3),
        ("  ${{ matrix.n }} ", 3),
        ("${{ matrix.py }}", 3.12),
        ("${{ 1 == 1 }}", True),
        ("${{ null }}", None),
        ("${{ fromJSON(steps.build.outputs.list) }}", [1, 2]),
        ("${{ matrix }}", CTX["matrix"]),
        ("n=${{ matrix.n }}", "n=3"),
        ("${{ 1 }}${{ 2 }}", "12"),
        ("${{ github.*.nothing }}", []),
    ],
)
def test_evaluate_template_types(text: str, expected: Any) -> None:
    result = evaluate_template(text, CTX)
    assert result == expected
    assert type(result) is type(expected)


def test_template_errors_have_columns_in_the_whole_text() -> None:
    with pytest.raises(ExpressionSyntaxError) as info:
        evaluate_template("abc ${{ 1 < ) }}", CTX)
    assert info.value.column == 13  # the ')' within the whole text
    assert info.value.expression == "abc ${{ 1 < ) }}"
    assert "position 5 within expression: 1 < )" in info.value.message


def test_evaluation_error_propagates() -> None:
    with pytest.raises(ExpressionEvalError):
        interpolate("x ${{ fromJSON('{') }}", CTX)


FAILED = Status(failed=True)
CANCELLED = Status(cancelled=True)


@pytest.mark.parametrize(
    ("condition", "status", "expected"),
    [
        (None, Status(), True),
        (None, FAILED, False),
        ("", Status(), True),
        ("   ", CANCELLED, False),
        (True, FAILED, True),
        (False, Status(), False),
        ("github.ref == 'refs/heads/main'", Status(), True),
        ("${{ github.ref == 'refs/heads/main' }}", Status(), True),
        ("  ${{ github.event_name == 'pull_request' }}  ", Status(), False),
        # implicit success(): a failed job skips steps without a status function
        ("github.ref == 'refs/heads/main'", FAILED, False),
        ("${{ true }}", CANCELLED, False),
        ("always()", FAILED, True),
        ("${{ always() }}", CANCELLED, True),
        ("failure()", FAILED, True),
        ("failure()", Status(), False),
        ("success()", Status(), True),
        ("success()", FAILED, False),
        ("cancelled()", CANCELLED, True),
        ("cancelled()", FAILED, False),
        ("!cancelled()", FAILED, True),
        ("!cancelled()", CANCELLED, False),
        ("${{ !cancelled() }}", FAILED, True),
        ("!contains(env.NAME, 'vey')", Status(), False),
        ("!contains(env.NAME, 'xyz')", Status(), True),
        ("failure() && steps.build.outcome == 'success'", FAILED, True),
        ("SUCCESS() || Failure()", FAILED, True),
        ("env.EMPTY", Status(), False),
        ("matrix.n", Status(), True),
        # text around ${{ }} makes a non-empty string: true, as on GitHub
        ("${{ false }} && x", Status(), True),
        ("${{ false }} && ${{ always() }}", FAILED, True),
    ],
)
def test_evaluate_if(condition: str | bool | None, status: Status, expected: bool) -> None:
    assert evaluate_if(condition, CTX, status=status) is expected


def test_evaluate_if_skips_evaluation_when_job_failed() -> None:
    # success() && (...) short-circuits: the bad fromJSON is never evaluated.
    assert evaluate_if("fromJSON('{')", CTX, status=FAILED) is False
    with pytest.raises(ExpressionEvalError):
        evaluate_if("fromJSON('{')", CTX)


def test_evaluate_if_syntax_error_column() -> None:
    with pytest.raises(ExpressionSyntaxError) as info:
        evaluate_if("  github.ref ==", CTX)
    assert info.value.column == 14
    with pytest.raises(ExpressionSyntaxError) as info:
        evaluate_if("${{ 1 2 }}", CTX)
    assert info.value.column == 7


def test_empty_expression_is_an_error() -> None:
    with pytest.raises(ExpressionSyntaxError, match="An expression was expected") as info:
        evaluate_template("echo ${{ }}", CTX)
    assert info.value.column == 6


def test_job_if_status_functions_name_jobs() -> None:
    needs = {"a": {"result": "success"}, "B": {"result": "failure"}, "c": {"result": "skipped"}}
    ctx = {**CTX, "needs": needs}
    assert evaluate_if("success('a')", ctx) is True
    assert evaluate_if("success('a', 'b')", ctx) is False
    assert evaluate_if("failure('b')", ctx) is True  # job ids ignore case
    assert evaluate_if("failure('a', 'c')", ctx) is False
    assert evaluate_if("${{ success('a') && !failure('a') }}", ctx) is True
    assert evaluate_if("success('a')", ctx, status=CANCELLED) is False


INSERT_CTX: dict[str, Any] = {
    "inputs": {"extra": '{"python": "3.12", "tox": "py312"}', "more": "[2, 3]", "text": "x"},
    "matrix": {"name": "os"},
}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # ${{ insert }} merges the mapping it yields into the enclosing mapping
        (
            {"os": "linux", "${{ insert }}": "${{ fromJSON(inputs.extra) }}"},
            {"os": "linux", "python": "3.12", "tox": "py312"},
        ),
        ({" ${{ insert }} ": {"a": "${{ inputs.text }}"}}, {"a": "x"}),
        # a sequence item that is one expression yielding a sequence is flattened into it
        ([1, "${{ fromJSON(inputs.more) }}", 4], [1, 2, 3, 4]),
        (["v-${{ fromJSON(inputs.more)[0] }}", [5, 6]], ["v-2", [5, 6]]),
        # both, nested, and expression keys
        (
            {"include": [{"${{ insert }}": "${{ fromJSON(inputs.extra) }}", "k": [0]}]},
            {"include": [{"python": "3.12", "tox": "py312", "k": [0]}]},
        ),
        ({"${{ matrix.name }}": "${{ inputs.text }}"}, {"os": "x"}),
        ("no expression", "no expression"),
        (3, 3),
    ],
)
def test_evaluate_value_as_githubs_runner(value: Any, expected: Any) -> None:
    assert evaluate_value(value, INSERT_CTX) == expected


def test_evaluate_value_insert_errors() -> None:
    with pytest.raises(ExpressionEvalError, match="needs a mapping"):
        evaluate_value({"${{ insert }}": "${{ inputs.more }}"}, INSERT_CTX)
    with pytest.raises(ExpressionEvalError, match="'python' is already defined \\(as 'PYTHON'\\)"):
        evaluate_value({"PYTHON": 1, "${{ insert }}": "${{ fromJSON(inputs.extra) }}"}, INSERT_CTX)


def test_render_value_uses_the_given_text_renderer() -> None:
    seen: list[str] = []

    def render(text: str) -> Any:
        seen.append(text)
        return ["r"]

    assert render_value({"k": ["a", "${{ x }}"]}, render) == {"k": ["a", "r"]}
    assert seen == ["${{ x }}"]
