"""Per-run, per-tier counts kept after ``conveyor gc`` deletes the test-result rows.

Stored as ``<state>/results/summaries/<run key>.json`` (the run's folder key, see
:mod:`conveyor.engine.runkeys`, unique across databases): ``{tier: {passed, failed, ...}}``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from conveyor.reporting.model import TierTotals

SUMMARIES = Path("results") / "summaries"
_FIELDS = ("passed", "failed", "skipped", "flaky", "quarantined", "duration")


def summary_path(state_dir: Path, run_key: str) -> Path:
    return state_dir / SUMMARIES / f"{run_key}.json"


def count_rows(rows: Iterable[Any]) -> dict[int, dict[str, TierTotals]]:
    """run id -> tier -> totals, from result rows (``run_id``, ``tier``, ``status``,
    ``duration``). Quarantine is not known here: failures count as failed."""
    found: dict[int, dict[str, TierTotals]] = {}
    for row in rows:
        if row.run_id is None:
            continue
        tier = str(row.tier or "default")
        totals = found.setdefault(int(row.run_id), {}).setdefault(tier, TierTotals(tier))
        totals.count(str(row.status), row.duration)
    return found


def save(state_dir: Path, run_key: str, tiers: dict[str, TierTotals]) -> None:
    """Add ``tiers`` to the run's summary file (counts of earlier gc passes are kept)."""
    path = summary_path(state_dir, run_key)
    merged = {t.name: t for t in load(state_dir, run_key)}
    for name, totals in tiers.items():
        old = merged.get(name)
        if old is None:
            merged[name] = totals
            continue
        for key in _FIELDS:
            setattr(old, key, getattr(old, key) + getattr(totals, key))
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {name: {k: getattr(t, k) for k in _FIELDS} for name, t in merged.items()}
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def load(state_dir: Path, run_key: str) -> list[TierTotals]:
    path = summary_path(state_dir, run_key)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    if not isinstance(data, dict):
        return []
    tiers: list[TierTotals] = []
    for name, values in data.items():
        if isinstance(values, dict):
            totals = TierTotals(str(name))
            for key in _FIELDS:
                value = values.get(key, 0)
                if isinstance(value, int | float):
                    setattr(totals, key, type(getattr(totals, key))(value))
            tiers.append(totals)
    return tiers
