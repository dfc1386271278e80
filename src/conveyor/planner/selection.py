"""Which jobs and matrix combinations a run was asked for: ``--job`` and ``--matrix``.

One implementation for the engine (which runs what is chosen) and for ``conveyor run
--dry-run`` / the CLI's own checks (which show and check it before anything runs).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from conveyor.expressions.values import to_string
from conveyor.planner.graph import job_id_of


def _shown(value: Any) -> str:
    if value is None:
        return ""
    return str(value) if isinstance(value, dict | list) else str(to_string(value))


def matrix_key(job_id: str, combo: Mapping[str, Any]) -> str:
    """A matrix job's display name, as GitHub shows it: ``test (3.12, ubuntu-latest)``."""
    if not combo:
        return job_id
    return f"{job_id} ({', '.join(_shown(v) for v in combo.values())})"


def parse_matrix_filter(items: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """``["os:ubuntu", "py:3.12", "py:3.11"]`` -> ``{"os": ("ubuntu",), "py": ("3.12", "3.11")}``
    (``--matrix KEY:VALUE``, repeatable; several values of one key are alternatives).
    Raises ValueError naming the item that is not ``KEY:VALUE``."""
    chosen: dict[str, tuple[str, ...]] = {}
    for item in items:
        key, sep, value = item.partition(":")
        if not sep or not key.strip():
            raise ValueError(item)
        chosen[key.strip()] = (*chosen.get(key.strip(), ()), value)
    return chosen


def chosen_combinations(
    job_id: str,
    combos: list[dict[str, Any]],
    matrix_filter: Mapping[str, Sequence[str]],
    job_filter: Sequence[str],
) -> list[dict[str, Any]]:
    """The combinations ``--matrix KEY:VALUE`` and ``--job 'id (values)'`` select: for each
    key the job's matrix has, a combination's value must be one of those given (keys the
    matrix does not have do not filter it)."""
    for key, values in matrix_filter.items():
        lowered = key.lower()
        if any(lowered in (k.lower() for k in combo) for combo in combos):
            combos = [
                c
                for c in combos
                if any(k.lower() == lowered and _shown(v) in values for k, v in c.items())
            ]
    names = [w for w in job_filter if w != job_id and job_id_of(w, [job_id])]
    if names:
        combos = [c for c in combos if matrix_key(job_id, c) in names]
    return combos
