"""Resolve ``runs-on`` to runner labels (and a runner group), per matrix combination.

``runs-on`` may be a label, a list of labels, ``{group, labels}``, or an expression
yielding any of these (``${{ matrix.os }}``). Expressions are resolved with the
static contexts plus ``matrix``; one that needs run-time contexts is kept as its
text. Results are memoised on the matrix values the expression reads, so a
256-combination matrix over one ``matrix.os`` key evaluates four times, not 256.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from conveyor.planner.statics import DynamicValue, has_expression, resolve_static

_MATRIX_REF = re.compile(r"\bmatrix\b(\s*\.\s*([A-Za-z_][\w-]*))?", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class RunsOn:
    """Runner labels and group; ``dynamic`` when part of it is only known at run time."""

    labels: tuple[str, ...]
    group: str | None = None
    dynamic: bool = False


def _label(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _shape(value: Any) -> RunsOn:
    if value is None:
        return RunsOn(())
    if isinstance(value, Mapping):
        group = value.get("group")
        labels = value.get("labels")
        items = [labels] if isinstance(labels, str) else list(labels or [])
        return RunsOn(tuple(_label(x) for x in items), None if group is None else str(group))
    if isinstance(value, list):
        return RunsOn(tuple(_label(x) for x in value))
    return RunsOn((_label(value),))


def _text_of(value: Any) -> str:
    return value if isinstance(value, str) else repr(value)


def resolve_runs_on(value: Any, contexts: Mapping[str, Any]) -> RunsOn:
    """Resolve one ``runs-on`` value with ``contexts`` (which may include ``matrix``)."""
    if not has_expression(value):
        return _shape(value)
    try:
        return _shape(resolve_static(value, contexts))
    except DynamicValue:
        shaped = _shape(value)
        return RunsOn(tuple(_text_of(x) for x in shaped.labels), shaped.group, dynamic=True)


def _matrix_keys(value: Any) -> tuple[str, ...] | None:
    """The ``matrix.<key>`` names read by ``value``; None when it reads ``matrix`` whole."""
    keys: list[str] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            for m in _MATRIX_REF.finditer(item):
                if not m.group(2):
                    return None
                keys.append(m.group(2).lower())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, Mapping):
            stack.extend(item.values())
    return tuple(sorted(set(keys)))


def _freeze(value: Any) -> Any:
    if isinstance(value, list):
        return ("l", *(_freeze(v) for v in value))
    if isinstance(value, Mapping):
        return ("d", *sorted((str(k), _freeze(v)) for k, v in value.items()))
    return (type(value).__name__, value)


def _has_bool(key: Any) -> bool:
    if isinstance(key, tuple):
        return any(isinstance(x, bool) for x in key)
    return isinstance(key, bool)


def _fast_keys(keys: tuple[str, ...], combinations: list[dict[str, Any]]) -> list[Any] | None:
    """Memo keys (the values read) per combination, when cheap to get; else None.

    Needs every combination to hold the keys read, with hashable non-boolean values
    (``true`` and ``1`` hash alike, so booleans take the slow path).
    """
    if not combinations:
        return []
    lower = {k.lower(): k for k in combinations[0]}
    if any(k not in lower for k in keys):
        return None
    if not keys:
        return [()] * len(combinations)
    getter = itemgetter(*(lower[k] for k in keys))
    try:
        found = list(map(getter, combinations))
        distinct = set(found)
    except (KeyError, TypeError):
        return None
    if any(_has_bool(k) for k in distinct):
        return None
    return found


def resolve_runs_on_each(
    value: Any, contexts: Mapping[str, Any], combinations: list[dict[str, Any]]
) -> list[RunsOn]:
    """``runs-on`` for each combination (same order); identical results share one object."""
    if not has_expression(value):
        fixed = _shape(value)
        return [fixed] * len(combinations)
    keys = _matrix_keys(value)
    fast = None if keys is None else _fast_keys(keys, combinations)
    if fast is not None:
        representative = dict(zip(fast, combinations, strict=False))  # same length
        memo = {
            key: resolve_runs_on(value, {**contexts, "matrix": combo})
            for key, combo in representative.items()
        }
        return list(map(memo.__getitem__, fast))
    out: list[RunsOn] = []
    slow: dict[Any, RunsOn] = {}
    for combo in combinations:
        if keys is None:
            memo_key = _freeze(combo)
        else:
            lower = {k.lower(): v for k, v in combo.items()}
            memo_key = _freeze([lower.get(k) for k in keys])
        hit = slow.get(memo_key)
        if hit is None:
            hit = slow[memo_key] = resolve_runs_on(value, {**contexts, "matrix": combo})
        out.append(hit)
    return out
