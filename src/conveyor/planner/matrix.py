"""Expand ``strategy.matrix`` into job combinations, exactly as GitHub does.

1. The vectors (every key but ``include``/``exclude``) are multiplied in key order;
   the first key varies slowest.
2. ``exclude`` removes every combination that matches all keys of an entry
   (partial entries allowed; values are compared deeply).
3. ``include`` is applied after ``exclude``: each entry's pairs are added to every
   *original* combination where they overwrite no original value (values added by
   an earlier entry may be overwritten); an entry that fits no original combination
   becomes a new combination of its own.

Matrix keys are case-insensitive (``OS`` and ``os`` are one variable). A matrix may
hold ``${{ }}`` expressions (as a whole, as a vector, or inside entries); they are
resolved statically when they only use the contexts given, otherwise the result is
marked dynamic (resolved at run time).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from itertools import product, repeat
from typing import Any

from conveyor.errors import UserError
from conveyor.planner.statics import DynamicValue, resolve_static

MAX_COMBINATIONS = 256
"""GitHub generates at most 256 jobs per matrix."""

Resolver = Callable[[Any, Mapping[str, Any]], Any]
Combination = dict[str, Any]


class MatrixError(UserError):
    """The matrix is invalid; ``path`` locates the problem under ``strategy.matrix``."""

    def __init__(self, message: str, *, path: tuple[str | int, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.path = path


@dataclass(frozen=True, slots=True)
class MatrixResult:
    """The combinations, or ``None`` with ``dynamic=True`` when only known at run time."""

    combinations: list[Combination] | None
    dynamic: bool = False
    reason: str = ""


def same_value(a: Any, b: Any) -> bool:
    """Deep equality that keeps booleans apart from numbers (``true`` is not ``1``)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a is b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_value(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict | list) or isinstance(b, dict | list):
        return False
    return bool(a == b)


def _entries(value: Any, key: str) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise MatrixError(f"matrix '{key}' must be a list of mappings", path=(key,))
    for i, entry in enumerate(value):
        if not isinstance(entry, dict):
            raise MatrixError(f"matrix '{key}' entries must be mappings", path=(key, i))
    return value


def _vectors(matrix: Mapping[str, Any]) -> dict[str, list[Any]]:
    vectors: dict[str, list[Any]] = {}
    seen: dict[str, str] = {}
    for key, values in matrix.items():
        if key in ("include", "exclude"):
            continue
        if key.lower() in seen:
            raise MatrixError(f"matrix key '{key}' repeats '{seen[key.lower()]}'", path=(key,))
        seen[key.lower()] = key
        if not isinstance(values, list):
            raise MatrixError(f"matrix vector '{key}' must be a list", path=(key,))
        if not values:
            raise MatrixError(f"matrix vector '{key}' does not contain any values", path=(key,))
        vectors[key] = values
    return vectors


def _exclude(
    combos: list[Combination], exclude: list[dict[str, Any]], canon: dict[str, str]
) -> list[Combination]:
    rules: list[list[tuple[str, Any]]] = []
    for i, entry in enumerate(exclude):
        rule: list[tuple[str, Any]] = []
        for key, value in entry.items():
            if key.lower() not in canon:
                raise MatrixError(
                    f"matrix exclude key '{key}' does not match any key within the matrix",
                    path=("exclude", i, key),
                )
            rule.append((canon[key.lower()], value))
        rules.append(rule)
    return [c for c in combos if not any(all(same_value(c[k], v) for k, v in r) for r in rules)]


def _include(
    originals: list[Combination], include: list[dict[str, Any]], canon: dict[str, str]
) -> list[Combination]:
    result = [dict(c) for c in originals]
    extra: list[Combination] = []
    names = dict(canon)  # lower-case key -> spelling used in the output
    for entry in include:
        pairs = [(names.setdefault(k.lower(), k), v) for k, v in entry.items()]
        fixed = [(k, v) for k, v in pairs if k.lower() in canon]
        added = False
        for original, combo in zip(originals, result, strict=True):
            if all(same_value(original[k], v) for k, v in fixed):
                combo.update(pairs)
                added = True
        if not added:
            extra.append(dict(pairs))
    return result + extra


def expand_static(matrix: Mapping[str, Any]) -> list[Combination]:
    """Expand a matrix that holds no expressions (plain data); raises :class:`MatrixError`."""
    if not isinstance(matrix, Mapping):
        raise MatrixError("matrix must be a mapping")
    vectors = _vectors(matrix)
    include = _entries(matrix.get("include"), "include")
    exclude = _entries(matrix.get("exclude"), "exclude")
    if not vectors and not include:
        raise MatrixError("matrix must define at least one vector or 'include' entry")
    canon = {k.lower(): k for k in vectors}
    if vectors:
        keys = list(vectors)
        combos = list(map(dict, map(zip, repeat(keys), product(*vectors.values()))))
    else:
        combos = []
    if exclude:
        combos = _exclude(combos, exclude, canon)
    if include:
        combos = _include(combos, include, canon)
    if len(combos) > MAX_COMBINATIONS:
        raise MatrixError(
            f"matrix produces {len(combos)} combinations; GitHub allows at most "
            f"{MAX_COMBINATIONS} jobs per matrix"
        )
    return combos


def expand_matrix(
    strategy_matrix: Mapping[str, Any] | str | None,
    contexts: Mapping[str, Any] | None = None,
    *,
    resolve: Resolver = resolve_static,
) -> MatrixResult:
    """Expand ``strategy.matrix`` (plain data, possibly with expressions).

    ``None`` (no matrix) gives one empty combination. ``contexts`` are the contexts
    known before the run (e.g. ``github``, ``inputs``); an expression that needs any
    other context makes the result dynamic. Raises :class:`MatrixError` when invalid.
    """
    if strategy_matrix is None:
        return MatrixResult([{}])
    try:
        resolved = resolve(strategy_matrix, contexts or {})
    except DynamicValue as exc:
        return MatrixResult(None, dynamic=True, reason=exc.reason)
    if resolved is None:
        return MatrixResult([{}])
    return MatrixResult(expand_static(resolved))
