"""Which contexts and functions an expression may use at each key, as GitHub's parser says.

A pattern is a path: ``*`` matches any one key, ``#`` any list index. A pattern covers
its path and everything below it; the longest matching pattern decides. A pattern with
no contexts means "no expressions here" (GitHub: "A template expression is not allowed
in this context"). The root pattern ``()`` makes that the default, so every key not
listed refuses expressions, as in GitHub's schema.

Steps inside ``parallel:`` blocks are steps like any other (``steps.#.parallel.#`` is
read as ``steps.#``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from conveyor.expressions.templates import is_insert_key
from conveyor.workflow.yamlload import Path

Arity = tuple[int, int | None]  # (fewest, most or None for no limit) arguments

_W = frozenset({"github", "inputs", "vars"})
_JOB = _W | {"needs", "strategy", "matrix"}
_RUNNER = _JOB | {"secrets", "steps", "job", "runner", "env"}
_STEP = _RUNNER
_STEP_IF = _STEP - {"secrets"}
_A_STEP = frozenset({"github", "inputs", "strategy", "matrix", "steps", "job", "runner", "env"})
_A_IF = frozenset({"runner", "github", "job", "strategy", "matrix", "env", "inputs"})
_NONE: frozenset[str] = frozenset()

_HASH: dict[str, Arity] = {"hashfiles": (1, 255)}
_STEP_STATUS: dict[str, Arity] = {
    "always": (0, 0),
    "failure": (0, 0),
    "cancelled": (0, 0),
    "success": (0, 0),
}
_JOB_STATUS: dict[str, Arity] = {
    "always": (0, 0),
    "failure": (0, None),
    "cancelled": (0, 0),
    "success": (0, None),
}
STATUS = frozenset(_STEP_STATUS)
HASH_FILES = frozenset(_HASH)
SPECIAL_FUNCTIONS = STATUS | HASH_FILES
"""Functions only some keys allow; every other built-in function is allowed wherever
expressions are."""


@dataclass(frozen=True, slots=True)
class Availability:
    """Contexts and special functions (with their arities) allowed at one key.

    Empty ``contexts`` means expressions are not allowed there at all. ``where`` names
    the key for messages; ``implicit`` marks an ``if`` (the whole value is an expression
    even without ``${{ }}``)."""

    contexts: frozenset[str]
    functions: tuple[tuple[str, Arity], ...]
    where: str
    implicit: bool = False

    @property
    def allows_expressions(self) -> bool:
        return bool(self.contexts)

    def arity(self, function: str) -> Arity | None:
        """The arguments allowed for special function ``function`` here, None if not allowed."""
        return dict(self.functions).get(function.lower())


_Row = tuple[tuple[str, ...], frozenset[str], dict[str, Arity], str]

_STEP_KEYS = ("name", "continue-on-error", "timeout-minutes", "env", "with", "run")
_JOB_KEYS = (
    "name",
    "runs-on",
    "timeout-minutes",
    "cancel-timeout-minutes",
    "continue-on-error",
    "container",
    "services",
    "environment",
    "concurrency",
)

_WORKFLOW: list[_Row] = [
    ((), _NONE, {}, "this key"),
    (("run-name",), _W, {}, "run-name"),
    (("concurrency",), _W, {}, "workflow concurrency"),
    (("env",), _W | {"secrets"}, {}, "workflow env"),
    (("on", "workflow_call", "inputs", "*", "default"), _W, {}, "workflow_call input default"),
    (("on", "workflow_call", "outputs", "*", "value"), _W | {"jobs"}, {}, "workflow_call output"),
    *[(("jobs", "*", key), _JOB, {}, f"job {key}") for key in _JOB_KEYS],
    (("jobs", "*", "container", "credentials"), _JOB | {"secrets", "env"}, {}, "credentials"),
    (("jobs", "*", "container", "env", "*"), _RUNNER, {}, "container env"),
    (("jobs", "*", "services", "*", "credentials"), _JOB | {"secrets", "env"}, {}, "credentials"),
    (("jobs", "*", "services", "*", "env", "*"), _RUNNER, {}, "service env"),
    (("jobs", "*", "defaults", "run"), _JOB | {"env"}, {}, "job defaults.run"),
    (("jobs", "*", "env"), _JOB | {"secrets"}, {}, "job env"),
    (("jobs", "*", "environment", "url"), _RUNNER - {"secrets"}, {}, "environment url"),
    (("jobs", "*", "if"), _W | {"needs"}, _JOB_STATUS, "job if"),
    (("jobs", "*", "outputs", "*"), _RUNNER, {}, "job outputs"),
    (("jobs", "*", "secrets", "*"), _JOB | {"secrets"}, {}, "job secrets"),
    (("jobs", "*", "with", "*"), _JOB, {}, "job with"),
    (("jobs", "*", "snapshot", "if"), _JOB, {}, "snapshot if"),
    (("jobs", "*", "strategy"), _W | {"needs"}, {}, "job strategy"),
    *[(("jobs", "*", "steps", "#", key), _STEP, _HASH, f"step {key}") for key in _STEP_KEYS],
    (("jobs", "*", "steps", "#", "working-directory"), _STEP, _HASH, "step working-directory"),
    (("jobs", "*", "steps", "#", "if"), _STEP_IF, {**_STEP_STATUS, **_HASH}, "step if"),
]

_ACTION: list[_Row] = [
    ((), _NONE, {}, "this key"),
    (
        ("inputs", "*", "default"),
        frozenset({"github", "strategy", "matrix", "job", "runner"}),
        _HASH,
        "action input default",
    ),
    (("outputs", "*", "value"), _A_STEP, {}, "action output value"),
    (("runs", "args", "#"), frozenset({"inputs"}), {}, "runs.args"),
    (("runs", "env"), frozenset({"inputs"}), {}, "runs.env"),
    (("runs", "pre-if"), _A_IF, {**_STEP_STATUS, **_HASH}, "pre-if"),
    (("runs", "post-if"), _A_IF, {**_STEP_STATUS, **_HASH}, "post-if"),
    *[
        (("runs", "steps", "#", key), _A_STEP, _HASH, f"step {key}")
        for key in ("name", "continue-on-error", "env", "with", "run", "shell")
    ],
    (("runs", "steps", "#", "working-directory"), _A_STEP, _HASH, "step working-directory"),
    (("runs", "steps", "#", "if"), _A_STEP, {**_STEP_STATUS, **_HASH}, "step if"),
]

IMPLICIT_IF = frozenset({"job if", "step if", "pre-if", "post-if"})
IF_KEYS = frozenset({"if", "pre-if", "post-if"})


def _matches(pattern: tuple[str, ...], path: tuple[str, ...]) -> bool:
    if len(pattern) > len(path):
        return False
    return all(want in ("*", got) for want, got in zip(pattern, path, strict=False))


def shape(path: Path) -> tuple[str, ...]:
    """``path`` with list indexes as ``#``, job ids as ``*`` and parallel steps as steps;
    an ``${{ insert }}`` key is dropped (its value belongs to the mapping it is in)."""
    parts = [
        "#" if isinstance(p, int) else p for p in path if isinstance(p, int) or not is_insert_key(p)
    ]
    if len(parts) > 1 and parts[0] == "jobs":
        parts[1] = "*"  # job ids never matter, so share the cache
    i = 0
    while "parallel" in parts and i + 4 <= len(parts):
        if parts[i : i + 4] == ["steps", "#", "parallel", "#"]:
            del parts[i + 2 : i + 4]
        else:
            i += 1
    return tuple(parts)


def availability(path: Path, *, is_action: bool) -> Availability:
    """What an expression at ``path`` may use (no contexts: expressions are not allowed)."""
    return _availability(shape(path), is_action)


@lru_cache(maxsize=4096)
def _availability(path: tuple[str, ...], is_action: bool) -> Availability:
    best: _Row = _ACTION[0] if is_action else _WORKFLOW[0]
    for row in _ACTION if is_action else _WORKFLOW:
        if _matches(row[0], path) and len(row[0]) > len(best[0]):
            best = row
    pattern, contexts, functions, where = best
    if not contexts:
        where = _describe_shape(path)
    implicit = where in IMPLICIT_IF and len(path) == len(pattern)
    return Availability(contexts, tuple(sorted(functions.items())), where, implicit)


def _describe_shape(path: tuple[str, ...]) -> str:
    keys = [p for p in path if p not in ("#", "*")]
    if not keys:
        return "this place"
    if path[:1] == ("jobs",) and "steps" in path:
        return f"step key '{keys[-1]}'"
    if path[:1] == ("jobs",) and len(path) > 2:
        return f"job key '{keys[-1]}'" if len(path) == 3 else f"'{keys[-1]}' of a job"
    return f"'{'.'.join(keys)}'"
