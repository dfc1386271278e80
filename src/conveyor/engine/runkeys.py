"""The name of a run's folders under the state directory, unique across databases.

Two history databases (a SQLite file and a PostgreSQL server, say) can share one state
directory, and both number their runs from 1. So a run's folders (``work/<key>``,
``results/<key>``, ``artifacts/runs/<key>``, ``results/summaries/<key>.json``) are named
by :func:`run_key`: the run id, for people, and the first 12 hex digits of the run's
random ``uid`` (``runs.uid``), so run 1 of one database never touches run 1's files of
another. Runs recorded before runs had a uid keep the plain id.
"""

from __future__ import annotations

import re

UID_DIGITS = 12
_KEY = re.compile(rf"(\d+)(?:-([0-9a-f]{{{UID_DIGITS}}}))?")


def run_key(run_id: int, uid: str) -> str:
    """``<run id>-<uid prefix>``; the plain id when the run has no uid."""
    return f"{run_id}-{uid[:UID_DIGITS]}" if uid else str(run_id)


def parse_run_key(name: str) -> tuple[int, str] | None:
    """``(run id, uid prefix)`` of a folder named by :func:`run_key` (the prefix is empty
    for a plain id); None for any other name."""
    found = _KEY.fullmatch(name)
    if found is None:
        return None
    return int(found.group(1)), found.group(2) or ""
