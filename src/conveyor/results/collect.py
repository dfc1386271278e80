"""Test ids for sharding: from a file, stdin, a pytest-split durations file, or pytest."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import Connection, func, select

from conveyor.errors import UserError
from conveyor.results.flaky import DAY, in_window
from conveyor.results.model import PASSED, junit_id_for_nodeid
from conveyor.store.results_models import RESULTS

RECENT_DAYS = 30.0


def parse_ids(lines: Iterable[str]) -> list[str]:
    """Non-blank, non-comment lines."""
    return [s for s in (line.strip() for line in lines) if s and not s.startswith("#")]


def collect_pytest(cwd: Path | None = None) -> list[str]:
    """Node ids from ``pytest --collect-only -q``."""
    try:
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "--collect-only", "-q"],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise UserError(f"cannot collect tests with pytest: {exc}") from exc
    ids = [line.strip() for line in done.stdout.splitlines() if "::" in line and " " not in line]
    if done.returncode not in (0, 5) or (not ids and done.returncode != 5):
        tail = (done.stdout + done.stderr).strip().splitlines()[-5:]
        raise UserError("pytest --collect-only failed:\n" + "\n".join(tail))
    return ids


def durations_file(path: Path) -> dict[str, float]:
    """A pytest-split ``.test_durations`` file: ``{nodeid: seconds}``."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UserError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except json.JSONDecodeError as exc:
        raise UserError(f"{path}:{exc.lineno}:{exc.colno}: malformed JSON: {exc.msg}") from exc
    if not isinstance(data, dict) or not all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in data.values()
    ):
        raise UserError(f"{path}: expected a JSON object of test id -> seconds")
    return {str(k): float(v) for k, v in data.items()}


def recorded_durations(
    connection: Connection, ids: Iterable[str], since: float, repository_id: int | None = None
) -> dict[str, float]:
    """Mean duration of passing results since ``since`` per id (matched by node id or by
    the ``classname::name`` id pytest's xunit2 report gives it), in the repository (in
    every one, with None)."""
    c = RESULTS.c
    query = (
        select(c.test_id, func.avg(c.duration))
        .where(c.status == PASSED, c.duration.is_not(None), *in_window(since, repository_id))
        .group_by(c.test_id)
    )
    means = {str(t): float(d) for t, d in connection.execute(query) if d is not None}
    found: dict[str, float] = {}
    for test in ids:
        if test in means:
            found[test] = means[test]
        elif (alias := junit_id_for_nodeid(test)) in means:
            found[test] = means[alias]
    return found


def recent_durations(
    connection: Connection, ids: Iterable[str], repository_id: int | None = None
) -> dict[str, float]:
    """:func:`recorded_durations` over the last :data:`RECENT_DAYS` days."""
    return recorded_durations(connection, ids, time.time() - RECENT_DAYS * DAY, repository_id)
