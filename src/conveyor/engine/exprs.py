"""The engine's one doorway to :mod:`conveyor.expressions`.

Values in workflows are templates (``"x ${{ a }} y"``); :func:`render` evaluates them
recursively (typed when a string is one whole ``${{ }}``), :func:`text` always yields a
string, :func:`condition` evaluates ``if:`` with the status functions and implicit
``success()``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from conveyor.errors import UserError
from conveyor.expressions.evaluator import HashFiles, Status
from conveyor.expressions.hashfiles import hash_files
from conveyor.expressions.templates import evaluate_if, evaluate_value, interpolate
from conveyor.expressions.values import to_string

Contexts = Mapping[str, Any]
_STATUS_FN = re.compile(r"\b(always|failure|cancelled|success)\s*\(")


def has_status_function(cond: object) -> bool:
    return isinstance(cond, str) and bool(_STATUS_FN.search(cond))


def _hasher(contexts: Contexts) -> HashFiles | None:
    github = contexts.get("github")
    workspace = github.get("workspace") if isinstance(github, Mapping) else None
    if not workspace:
        return None
    return lambda patterns: hash_files(patterns, workspace=str(workspace))


def render(value: Any, contexts: Contexts) -> Any:
    """Evaluate every template inside ``value`` as GitHub's runner does (``${{ insert }}``
    keys, sequence-valued items flattened): see :func:`evaluate_value`."""
    return evaluate_value(value, contexts, hash_files=_hasher(contexts))


def text(value: Any, contexts: Contexts) -> str:
    """A template rendered to a string (``None`` → ``""``; numbers/booleans as on GitHub)."""
    if value is None:
        return ""
    if isinstance(value, str):
        if "${{" not in value:
            return value
        return interpolate(value, contexts, hash_files=_hasher(contexts))
    return str(to_string(render(value, contexts)))


def to_str(value: Any) -> str:
    return "" if value is None else str(to_string(value))


def env_map(value: Any, contexts: Contexts) -> dict[str, str]:
    """An ``env:`` mapping evaluated to strings."""
    if not isinstance(value, dict):
        return {}
    return {str(k): text(v, contexts) for k, v in value.items()}


def condition(cond: Any, contexts: Contexts, *, failed: bool, cancelled: bool) -> bool:
    """``if:`` semantics: missing means ``success()``; a literal boolean or number also
    needs ``success()``, as does an expression without a status function."""
    if cond is None or cond == "":
        return not failed and not cancelled
    if isinstance(cond, int | float):  # booleans included
        return bool(cond) and not failed and not cancelled
    status = Status(failed=failed, cancelled=cancelled)
    return evaluate_if(str(cond), contexts, status=status, hash_files=_hasher(contexts))


def truthy(value: Any, contexts: Contexts) -> bool:
    """A boolean option such as ``continue-on-error`` or ``fail-fast`` (may be an expression)."""
    result = render(value, contexts)
    if isinstance(result, str):
        return result.strip().lower() == "true"
    return bool(result)


def minutes(value: Any, contexts: Contexts, default: float) -> float:
    """A ``timeout-minutes`` value (may be an expression); ``default`` when not set.

    Anything that is not a number fails, as on GitHub (it does not fall back silently)."""
    result = render(value, contexts)
    if result is None or result == "":
        return default
    number: float | None = None
    if isinstance(result, int | float) and not isinstance(result, bool):
        number = float(result)
    elif isinstance(result, str):
        try:
            number = float(result.strip())
        except ValueError:
            number = None
    if number is None or math.isnan(number) or number < 0:
        raise UserError(
            f"timeout-minutes must be a non-negative number, got {result!r}; "
            "fix the value or the expression that gives it"
        )
    return number
