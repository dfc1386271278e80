"""Ingest a generated 100,000-testcase JUnit file into SQLite: seconds and peak RSS growth."""

from __future__ import annotations

import json
import resource
import sys
import tempfile
import time
from pathlib import Path

from conveyor.results.db import ResultsDb
from conveyor.results.ingest import IngestContext, ingest

CASES = 100_000


def _write(path: Path, cases: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="utf-8"?>\n<testsuites>\n')
        for suite in range(cases // 1000):
            out.write(f'<testsuite name="pkg.mod{suite}" tests="1000">\n')
            for i in range(1000):
                body = ""
                if i % 97 == 0:
                    body = '<failure message="assert 1 == 2">E   assert 1 == 2</failure>'
                elif i % 50 == 0:
                    body = "<system-out>" + "log line\n" * 20 + "</system-out>"
                out.write(
                    f'<testcase classname="pkg.mod{suite}.TestC" name="test_{i}" '
                    f'file="pkg/mod{suite}.py" line="{i}" time="0.{i:03d}">{body}</testcase>\n'
                )
            out.write("</testsuite>\n")
        out.write("</testsuites>\n")


def _rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def main() -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "big.xml"
        _write(report, CASES)
        with ResultsDb(Path(tmp) / "state") as db:
            before = _rss_mb()
            start = time.perf_counter()
            context = IngestContext(tier="unit", commit="abc", repository_id=db.repository_id("b"))
            summary = ingest(db, [report], context)
            seconds = time.perf_counter() - start
            growth = _rss_mb() - before
        return {
            "cases": float(summary.total),
            "file_mb": round(report.stat().st_size / 1e6, 1),
            "ingest_seconds": round(seconds, 3),
            "peak_rss_growth_mb": round(growth, 1),
        }


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
