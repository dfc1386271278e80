"""Flaky detection on generated histories with known flaky tests: precision and recall."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

from results_helpers import in_repo

from conveyor.results.db import ResultsDb
from conveyor.results.flaky import find_flaky
from conveyor.results.ingest import ingest

RUNS = 30
NOW = 2_000_000_000.0


def _case(name: str, failed: bool) -> str:
    body = '<failure message="boom">trace</failure>' if failed else ""
    return f'<testcase classname="gen" name="{name}" time="0.5">{body}</testcase>'


def _history(tmp_path: Path, db: ResultsDb, seed: int) -> set[str]:
    """Ingest RUNS runs of a generated suite; returns the truly flaky test ids."""
    rng = random.Random(seed)
    kinds: dict[str, str] = {}
    kinds.update({f"stable_pass_{i}": "pass" for i in range(30)})
    kinds.update({f"stable_fail_{i}": "fail" for i in range(5)})
    kinds.update({f"fixed_after_break_{i}": "broken" for i in range(6)})
    rates = (0.15, 0.3, 0.5)
    kinds.update({f"flaky_{i}": f"flaky:{rates[i % 3]}" for i in range(15)})
    for run in range(RUNS):
        cases = []
        for name, kind in sorted(kinds.items()):
            if kind == "pass":
                cases.append(_case(name, False))
            elif kind == "fail":
                cases.append(_case(name, True))
            elif kind == "broken":
                cases.append(_case(name, 8 <= run < 8 + 6 + int(name[-1])))
            else:
                failed = rng.random() < float(kind.split(":")[1])
                cases.append(_case(name, failed))
                if failed and rng.random() < 0.3:  # a CI retry on the same commit passes
                    cases.append(_case(name, False))
        report = tmp_path / f"run{run}.xml"
        report.write_text(
            f"<testsuites><testsuite name='gen'>{''.join(cases)}</testsuite></testsuites>"
        )
        ctx = in_repo(
            db,
            tier="unit",
            commit=f"c{run:03d}",
            branch="main",
            recorded_at=NOW - (RUNS - run) * 3600,
        )
        ingest(db, [report], ctx)
    return {f"gen::{n}" for n, k in kinds.items() if k.startswith("flaky")}


def test_flaky_detection_precision_and_recall(
    make_db: Callable[[], ResultsDb], tmp_path: Path
) -> None:
    db = make_db()
    truth = _history(tmp_path, db, seed=1234)
    with db.read() as connection:
        found = find_flaky(connection, days=30, threshold=0.1, runs=RUNS, now=NOW)
    flagged = {f.test_id for f in found}
    hits = len(flagged & truth)
    precision = hits / len(flagged) if flagged else 0.0
    recall = hits / len(truth)
    print(f"flaky detection: precision {precision:.3f} recall {recall:.3f} ({hits}/{len(truth)})")
    assert precision >= 0.9
    assert recall >= 0.9
    by_id = {f.test_id: f for f in found}
    some = next(iter(flagged & truth))
    assert by_id[some].runs == RUNS
    assert by_id[some].first_seen < by_id[some].last_seen
    assert any("same-commit" in f.reasons and f.flaky_commits >= 1 for f in found)


def test_flaky_window_and_same_commit_only(
    make_db: Callable[[], ResultsDb], tmp_path: Path
) -> None:
    db = make_db()
    report = tmp_path / "r.xml"
    report.write_text(
        "<testsuite name='s'>" + _case("retry", True) + _case("retry", False) + "</testsuite>"
    )
    ingest(db, [report], in_repo(db, commit="abc", recorded_at=NOW - 40 * 86400))
    with db.read() as connection:
        assert find_flaky(connection, days=30, now=NOW) == []
        found = find_flaky(connection, days=60, now=NOW)
    assert [(f.test_id, f.flaky_commits, f.reasons) for f in found] == [
        ("gen::retry", 1, ["same-commit"])
    ]
