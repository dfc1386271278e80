"""pytest-json-report (``pytest --json-report``) reader.

Each entry of ``tests`` has ``nodeid``, ``lineno``, ``outcome`` (passed, failed, skipped,
xfailed, xpassed, error) and per-phase ``setup``/``call``/``teardown`` dicts with
``duration``, ``outcome``, ``crash.message``, ``longrepr``, ``stdout`` and ``stderr``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from conveyor.errors import UserError
from conveyor.results.model import (
    ERROR,
    FAILED,
    PASSED,
    SKIPPED,
    TestCaseResult,
    junit_id_for_nodeid,
    trim,
)

_OUTCOMES = {
    "passed": PASSED,
    "xpassed": PASSED,
    "failed": FAILED,
    "error": ERROR,
    "skipped": SKIPPED,
    "xfailed": SKIPPED,
}
_PHASES = ("setup", "call", "teardown")


def _seconds(value: object) -> float:
    """A phase's ``duration``; anything but a finite number counts as 0."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0.0
    seconds = float(value)
    return seconds if math.isfinite(seconds) else 0.0


def _phase_text(phase: dict[str, Any]) -> str:
    crash = phase.get("crash")
    message = crash.get("message", "") if isinstance(crash, dict) else ""
    longrepr = phase.get("longrepr") or ""
    return "\n".join(p for p in (message, longrepr) if isinstance(p, str) and p)


_NOT_MARKERS = frozenset({"", "pytestmark"})


def _markers(entry: dict[str, Any], nodeid: str, root: str) -> tuple[str, ...]:
    """The test's ``keywords`` less the names of its own nodes (function with its
    parameters, classes, module file) and of the root directory: its markers, and the
    names of the directories it is in."""
    keywords = entry.get("keywords")
    if not isinstance(keywords, list):
        return ()
    path, bracket, params = nodeid.partition("[")
    parts = path.split("::")
    own = {*parts[1:], parts[-1] + bracket + params, params.rstrip("]")}
    own.add(parts[0].rsplit("/", 1)[-1])
    own.add(root.rstrip("/").rsplit("/", 1)[-1])
    return tuple(
        dict.fromkeys(
            k for k in keywords if isinstance(k, str) and k not in own and k not in _NOT_MARKERS
        )
    )


def _case(entry: dict[str, Any], root: str = "") -> TestCaseResult:
    nodeid = str(entry.get("nodeid", ""))
    classname, _, name = junit_id_for_nodeid(nodeid).rpartition("::")
    phases = [entry[p] for p in _PHASES if isinstance(entry.get(p), dict)]
    duration = round(sum(_seconds(p.get("duration")) for p in phases), 6) if phases else None
    failing = [p for p in phases if p.get("outcome") not in (None, "passed")]
    message = "\n".join(t for t in map(_phase_text, failing) if t)
    output = "\n".join(str(p[key]) for p in phases for key in ("stdout", "stderr") if p.get(key))
    lineno = entry.get("lineno")
    return TestCaseResult(
        name=name,
        classname=classname,
        suite="pytest",
        file=nodeid.split("::", 1)[0] or None,
        line=lineno if isinstance(lineno, int) else None,
        duration=duration,
        status=_OUTCOMES.get(str(entry.get("outcome")), ERROR),
        message=trim(message),
        output=trim(output),
        markers=_markers(entry, nodeid, root),
    )


def parse_json_report(path: Path) -> Iterator[TestCaseResult]:
    try:
        with path.open("rb") as handle:
            data = json.load(handle)
    except json.JSONDecodeError as exc:
        raise UserError(f"{path}:{exc.lineno}:{exc.colno}: malformed JSON: {exc.msg}") from exc
    except UnicodeDecodeError as exc:
        raise UserError(f"{path}: not UTF-8 text: {exc}") from exc
    tests = data.get("tests") if isinstance(data, dict) else None
    if not isinstance(tests, list):
        raise UserError(f"{path}: not a pytest-json-report file (no 'tests' list)")
    root = data.get("root")
    for entry in tests:
        if isinstance(entry, dict):
            yield _case(entry, root if isinstance(root, str) else "")
