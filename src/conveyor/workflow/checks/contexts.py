"""Which contexts and special functions an expression may use at each key.

Follows GitHub's "Contexts reference -> Context availability" table. A pattern is
a path prefix: ``*`` matches any one key, ``#`` any list index. The longest
matching pattern decides; a key no pattern covers is not checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from conveyor.expressions import STATUS_FUNCTIONS
from conveyor.workflow.yamlload import Path

STATUS = STATUS_FUNCTIONS
HASH_FILES = frozenset({"hashfiles"})

_W = frozenset({"github", "inputs", "vars"})
_JOB = _W | {"needs", "strategy", "matrix"}
_JOB_SECRET = _JOB | {"secrets"}
_JOB_CRED = _JOB | {"env", "secrets"}
_JOB_ENV = _JOB | {"job", "runner", "env", "secrets"}
_STEP = _JOB | {"job", "runner", "env", "secrets", "steps"}
_STEP_IF = _STEP - {"secrets"}
_ACTION = _W | {"steps", "env", "runner", "job", "strategy", "matrix"}
_NONE: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Availability:
    """Contexts and special functions allowed at one key; ``where`` names it for messages."""

    contexts: frozenset[str]
    functions: frozenset[str]
    where: str
    implicit: bool = False  # an ``if``: the whole value is an expression even without ${{ }}


_WORKFLOW: list[tuple[tuple[str, ...], frozenset[str], frozenset[str], str]] = [
    (("run-name",), _W, _NONE, "run-name"),
    (("concurrency",), _W, _NONE, "workflow concurrency"),
    (("env",), _W | {"secrets"}, _NONE, "workflow env"),
    (("on", "workflow_call", "inputs", "*", "default"), _W, _NONE, "workflow_call input default"),
    (
        ("on", "workflow_call", "outputs", "*", "value"),
        _W | {"jobs"},
        _NONE,
        "workflow_call output value",
    ),
    (("jobs", "*", "concurrency"), _JOB, _NONE, "job concurrency"),
    (("jobs", "*", "container"), _JOB, _NONE, "job container"),
    (("jobs", "*", "container", "credentials"), _JOB_CRED, _NONE, "container credentials"),
    (("jobs", "*", "container", "env"), _JOB_ENV, _NONE, "container env"),
    (("jobs", "*", "continue-on-error"), _JOB, _NONE, "job continue-on-error"),
    (("jobs", "*", "defaults", "run"), _JOB | {"env"}, _NONE, "job defaults.run"),
    (("jobs", "*", "env"), _JOB_SECRET, _NONE, "job env"),
    (("jobs", "*", "environment"), _JOB, _NONE, "job environment"),
    (
        ("jobs", "*", "environment", "url"),
        _JOB | {"job", "runner", "env", "steps"},
        _NONE,
        "environment url",
    ),
    (("jobs", "*", "if"), _W | {"needs"}, STATUS, "job if"),
    (("jobs", "*", "name"), _JOB, _NONE, "job name"),
    (("jobs", "*", "outputs"), _STEP, _NONE, "job outputs"),
    (("jobs", "*", "runs-on"), _JOB, _NONE, "job runs-on"),
    (("jobs", "*", "secrets"), _JOB_SECRET, _NONE, "job secrets"),
    (("jobs", "*", "services"), _JOB, _NONE, "job services"),
    (("jobs", "*", "services", "*", "credentials"), _JOB_CRED, _NONE, "service credentials"),
    (("jobs", "*", "services", "*", "env"), _JOB_ENV, _NONE, "service env"),
    (("jobs", "*", "snapshot"), _JOB, _NONE, "job snapshot"),
    (("jobs", "*", "steps"), _STEP, HASH_FILES, "a step"),
    (("jobs", "*", "steps", "#", "if"), _STEP_IF, STATUS | HASH_FILES, "step if"),
    (("jobs", "*", "strategy"), _W | {"needs"}, _NONE, "job strategy"),
    (("jobs", "*", "timeout-minutes"), _JOB, _NONE, "job timeout-minutes"),
    (("jobs", "*", "with"), _JOB, _NONE, "job with"),
]

_ACTION_TABLE: list[tuple[tuple[str, ...], frozenset[str], frozenset[str], str]] = [
    (("inputs",), _ACTION, _NONE, "action inputs"),
    (("outputs",), _ACTION, _NONE, "action outputs"),
    (("runs",), _ACTION, _NONE, "action runs"),
    (("runs", "pre-if"), _ACTION, STATUS, "pre-if"),
    (("runs", "post-if"), _ACTION, STATUS, "post-if"),
    (("runs", "steps"), _ACTION, HASH_FILES, "a step"),
    (("runs", "steps", "#", "if"), _ACTION, STATUS | HASH_FILES, "step if"),
]

IMPLICIT_IF = frozenset({"job if", "step if", "pre-if", "post-if"})
IF_KEYS = frozenset({"if", "pre-if", "post-if"})


def _matches(pattern: tuple[str, ...], path: tuple[str, ...]) -> bool:
    if len(pattern) > len(path):
        return False
    return all(want in ("*", got) for want, got in zip(pattern, path, strict=False))


def availability(path: Path, *, is_action: bool) -> Availability | None:
    """What an expression at ``path`` may use, or None when GitHub's table says nothing."""
    shape = tuple("#" if isinstance(p, int) else p for p in path)
    if not is_action and len(shape) > 1 and shape[0] == "jobs":
        shape = ("jobs", "*", *shape[2:])  # job ids never matter, so share the cache
    return _availability(shape, is_action)


@lru_cache(maxsize=4096)
def _availability(path: tuple[str, ...], is_action: bool) -> Availability | None:
    best = None
    for pattern, contexts, functions, where in _ACTION_TABLE if is_action else _WORKFLOW:
        if _matches(pattern, path) and (best is None or len(pattern) > len(best[0])):
            best = (pattern, contexts, functions, where)
    if best is None:
        return None
    pattern, contexts, functions, where = best
    implicit = where in IMPLICIT_IF and len(path) == len(pattern)
    return Availability(contexts, functions, where, implicit)
