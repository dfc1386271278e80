"""Tree-walking evaluator: parse once (cached), evaluate many times.

Memory guard: like GitHub, an evaluation fails with "The maximum allowed memory size was
exceeded" when strings built by functions and still held by pending calls pass 1 MiB
(2 bytes per character, as .NET counts). Strings read from contexts are not counted.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from conveyor.errors import ExpressionEvalError
from conveyor.expressions.functions import PURE_FUNCTIONS
from conveyor.expressions.nodes import (
    And,
    Call,
    Compare,
    Index,
    Literal,
    NamedValue,
    Node,
    Not,
    Or,
    Wildcard,
)
from conveyor.expressions.parser import parse
from conveyor.expressions.values import (
    ARRAY,
    OBJECT,
    Filtered,
    compare,
    fold,
    kind,
    to_number,
    to_string,
    truthy,
)

MAX_MEMORY = 1024 * 1024
HashFiles = Callable[[Sequence[str]], str]


@dataclass(frozen=True, slots=True)
class Status:
    """The job status seen by ``success() failure() cancelled() always()``."""

    failed: bool = False
    cancelled: bool = False

    @property
    def success(self) -> bool:
        return not self.failed and not self.cancelled


class _Env:
    __slots__ = ("contexts", "hash_files", "held", "status")

    def __init__(
        self, contexts: Mapping[str, Any], status: Status, hash_files: HashFiles | None
    ) -> None:
        self.contexts = contexts
        self.status = status
        self.hash_files = hash_files
        self.held = 0


def evaluate(
    expr: Node | str,
    contexts: Mapping[str, Any],
    *,
    status: Status = Status(),
    hash_files: HashFiles | None = None,
) -> Any:
    """Evaluate an expression (bare text or a parsed Node) against ``contexts``."""
    node = parse(expr) if isinstance(expr, str) else expr
    result = _eval(node, _Env(contexts, status, hash_files))
    return list(result) if type(result) is Filtered else result


def _eval(node: Node, env: _Env) -> Any:
    return _DISPATCH[type(node)](node, env)


def _literal(node: Literal, env: _Env) -> Any:
    return node.value


def _named(node: NamedValue, env: _Env) -> Any:
    contexts = env.contexts
    if node.name in contexts:  # the usual case: lower-case context names
        return contexts[node.name]
    return lookup(contexts, node.name)[1]


def _not(node: Not, env: _Env) -> Any:
    return not truthy(_eval(node.operand, env))


def _compare(node: Compare, env: _Env) -> Any:
    return compare(node.op, _eval(node.left, env), _eval(node.right, env))


def _and(node: And, env: _Env) -> Any:
    value = None
    for operand in node.operands:
        value = _eval(operand, env)
        if not truthy(value):
            return value
    return value


def _or(node: Or, env: _Env) -> Any:
    value = None
    for operand in node.operands:
        value = _eval(operand, env)
        if truthy(value):
            return value
    return value


def lookup(mapping: Mapping[str, Any], key: str) -> tuple[bool, Any]:
    """Case-insensitive property lookup: (found, value)."""
    if key in mapping:
        return True, mapping[key]
    folded = fold(key)
    for name, value in mapping.items():
        if isinstance(name, str) and fold(name) == folded:
            return True, value
    return False, None


def _index_one(target: Any, key: Any) -> tuple[bool, Any]:
    tk = kind(target)
    if tk < ARRAY or kind(key) >= ARRAY:
        return False, None
    if tk == OBJECT:
        return lookup(target, to_string(key))
    number = to_number(key)
    if math.isnan(number) or math.isinf(number) or number < 0:
        return False, None
    position = int(number)
    if position < len(target):
        return True, target[position]
    return False, None


def _index(node: Index, env: _Env) -> Any:
    target = _eval(node.target, env)
    key = _eval(node.key, env)
    if type(target) is Filtered:
        result = Filtered()
        for item in target:
            found, value = _index_one(item, key)
            if found:
                result.append(value)
        return result
    return _index_one(target, key)[1]


def _spread(value: Any, into: Filtered) -> None:
    k = kind(value)
    if k == ARRAY:
        into.extend(value)
    elif k == OBJECT:
        into.extend(value.values())


def _wildcard(node: Wildcard, env: _Env) -> Any:
    target = _eval(node.target, env)
    result = Filtered()
    if type(target) is Filtered:
        for item in target:
            _spread(item, result)
    else:
        _spread(target, result)
    return result


def _need_results(node: Call, env: _Env) -> list[str]:
    """The ``result`` of each job named by the arguments, read from the ``needs`` context."""
    needs = env.contexts.get("needs")
    by_id = {str(k).lower(): v for k, v in needs.items()} if isinstance(needs, Mapping) else {}
    results = []
    for arg in node.args:
        job = by_id.get(to_string(_eval(arg, env)).lower())
        result = job.get("result") if isinstance(job, Mapping) else None
        results.append(str(result) if result is not None else "")
    return results


def _needs_all(node: Call, env: _Env, result: str) -> bool:
    """``success('a', 'b')`` in a job's ``if``: every named job ended with ``result``."""
    return not env.status.cancelled and all(r == result for r in _need_results(node, env))


def _needs_any(node: Call, env: _Env, result: str) -> bool:
    """``failure('a', 'b')`` in a job's ``if``: some named job ended with ``result``."""
    return any(r == result for r in _need_results(node, env))


def _call(node: Call, env: _Env) -> Any:
    name = node.name
    if name == "case":
        return _case(node, env)
    if name == "success":
        return _needs_all(node, env, "success") if node.args else env.status.success
    if name == "failure":
        return _needs_any(node, env, "failure") if node.args else env.status.failed
    if name == "cancelled":
        return env.status.cancelled
    if name == "always":
        return True
    held = env.held
    args = []
    for arg in node.args:
        value = _eval(arg, env)
        args.append(value)
        if type(arg) is Call and type(value) is str:
            env.held += 2 * len(value)
    if name == "hashfiles":
        result: Any = _hash_files(env, [to_string(a) for a in args])
    else:
        function = PURE_FUNCTIONS.get(name)
        if function is None:
            raise ExpressionEvalError(f"Unrecognized function: '{node.written}'")
        result = function(*args)
    used = env.held + (2 * len(result) if type(result) is str else 0)
    env.held = held
    if used > MAX_MEMORY:
        raise ExpressionEvalError("The maximum allowed memory size was exceeded")
    return result


def _case(node: Call, env: _Env) -> Any:
    args = node.args
    for i in range(0, len(args) - 1, 2):
        predicate = _eval(args[i], env)
        if type(predicate) is not bool:
            raise ExpressionEvalError("case predicate must evaluate to a boolean value")
        if predicate:
            return _eval(args[i + 1], env)
    return _eval(args[-1], env)


def _hash_files(env: _Env, patterns: list[str]) -> str:
    if env.hash_files is not None:
        return env.hash_files(patterns)
    from conveyor.expressions.hashfiles import hash_files

    github = lookup(env.contexts, "github")[1]
    workspace = lookup(github, "workspace")[1] if isinstance(github, Mapping) else None
    return hash_files(patterns, workspace=to_string(workspace) if workspace else None)


_DISPATCH: dict[type[Node], Callable[[Any, _Env], Any]] = {
    Literal: _literal,
    NamedValue: _named,
    Index: _index,
    Wildcard: _wildcard,
    Not: _not,
    Compare: _compare,
    And: _and,
    Or: _or,
    Call: _call,
}
