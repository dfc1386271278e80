"""Runs every case of GitHub's expression conformance data (MIT, in /work/shared).

One test per case, id ``file/group/index``. A case's ``contexts`` are the only named-values
it may use. Error messages are compared the way the data is written: the expected text is
a prefix of ours (some entries are truncated, e.g. "Too few parameters supplied: "), and
the position must match whenever the expected message states it in full.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import pytest

from conveyor.errors import ExpressionEvalError, ExpressionSyntaxError
from conveyor.expressions import evaluate, parse
from shared_data import CONFORMANCE

DATA = CONFORMANCE
ERROR_KINDS = {
    "lexing": ExpressionSyntaxError,
    "parsing": ExpressionSyntaxError,
    "evaluation": ExpressionEvalError,
}


def _cases() -> list[Any]:
    params: list[Any] = []
    for path in sorted(DATA.glob("*.json")):
        groups = json.loads(path.read_text(encoding="utf-8"))
        for group, cases in groups.items():
            # coerce_boolean.json has one empty group pointing at op_not.json: nothing to run.
            for index, case in enumerate(cases):
                params.append(pytest.param(case, id=f"{path.stem}/{group}/{index}"))
    return params


CASES = _cases()


def test_data_is_present() -> None:
    assert len(CASES) > 700


def _same(expected_kind: str, expected: Any, actual: Any) -> bool:
    if expected_kind == "Null":
        return actual is None
    if expected_kind == "Boolean":
        return type(actual) is bool and actual == expected
    if expected_kind == "Number":
        if type(actual) not in (int, float):
            return False
        if isinstance(expected, float) and math.isnan(expected):
            return math.isnan(actual)
        return bool(actual == expected)
    if expected_kind == "String":
        return type(actual) is str and actual == expected
    return _deep(expected, actual) and (
        isinstance(actual, list) if expected_kind == "Array" else isinstance(actual, dict)
    )


def _deep(expected: Any, actual: Any) -> bool:
    if isinstance(expected, bool) or expected is None or isinstance(expected, str):
        return type(actual) is type(expected) and actual == expected
    if isinstance(expected, int | float):
        return type(actual) in (int, float) and actual == expected
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(expected)
            and all(_deep(e, a) for e, a in zip(expected, actual, strict=True))
        )
    return (
        isinstance(actual, dict)
        and actual.keys() == expected.keys()
        and all(_deep(expected[k], actual[k]) for k in expected)
    )


@pytest.mark.parametrize("case", CASES)
def test_conformance(case: dict[str, Any]) -> None:
    contexts: dict[str, Any] = case.get("contexts") or {}
    expr: str = case["expr"]

    def run() -> Any:
        node = parse(expr, named_values=list(contexts))
        return evaluate(node, contexts)

    if "err" in case:
        expected_kind = case["err"]["kind"]
        message = case["err"]["value"]
        with pytest.raises(ERROR_KINDS[expected_kind]) as info:
            run()
        actual = info.value.message
        assert actual.startswith(message), f"{actual!r} does not start with {message!r}"
        stated = re.search(r"Located at position (\d+) within expression", message)
        if stated:
            assert info.value.column == int(stated.group(1))
        return
    result = case["result"]
    actual = run()
    assert _same(result["kind"], result["value"], actual), (
        f"{expr!r}: expected {result['kind']} {result['value']!r}, got {actual!r}"
    )
