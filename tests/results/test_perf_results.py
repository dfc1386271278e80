"""`conveyor perf ingest|check` on the real history database (SQLite and PostgreSQL): the
four file formats, a history with a step, the regression with its commit range and
exit code, a branch's run judged against the default branch, and bad files."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path

import pytest

from conveyor.cli.main import main
from conveyor.errors import UserError
from conveyor.results.db import ResultsDb
from conveyor.results.perf import PerfContext, check, ingest, series, trends
from conveyor.results.perf_formats import parse_results

PYTEST_BENCHMARK = {
    "machine_info": {"node": "ci", "python_implementation": "CPython"},
    "commit_info": {"id": "a1b2c3d4e5f6", "branch": "main", "dirty": False},
    "benchmarks": [
        {
            "group": None,
            "name": "test_parse",
            "fullname": "tests/test_bench.py::test_parse",
            "stats": {"min": 0.0011, "max": 0.0019, "mean": 0.00131, "median": 0.00125,
                      "stddev": 0.0001, "rounds": 812, "iterations": 1},
        }
    ],
    "datetime": "2026-12-04T10:00:00",
    "version": "4.0.0",
}  # fmt: skip
HYPERFINE = {
    "results": [
        {"command": "conveyor validate", "mean": 0.212, "stddev": 0.004, "median": 0.21,
         "user": 0.18, "system": 0.03, "min": 0.205, "max": 0.22, "times": [0.21, 0.205, 0.22]}
    ]
}  # fmt: skip
GOOGLE = {
    "context": {"date": "2026-12-04T10:00:00", "num_cpus": 2, "library_build_type": "release"},
    "benchmarks": [
        {"name": "BM_Sort/1024", "run_name": "BM_Sort/1024", "run_type": "iteration",
         "repetitions": 1, "iterations": 5000, "real_time": 85.5, "cpu_time": 85.1,
         "time_unit": "us", "items_per_second": 11976.0},
        {"name": "BM_Hash_mean", "run_name": "BM_Hash", "run_type": "aggregate",
         "aggregate_name": "mean", "real_time": 12.5, "time_unit": "ns"},
        {"name": "BM_Hash_median", "run_name": "BM_Hash", "run_type": "aggregate",
         "aggregate_name": "median", "real_time": 12.0, "time_unit": "ns"},
        {"name": "BM_Hash", "run_name": "BM_Hash", "run_type": "iteration",
         "real_time": 13.0, "time_unit": "ns"},
    ],
}  # fmt: skip


def _write(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return path


def test_the_four_formats(tmp_path: Path) -> None:
    pb = parse_results(_write(tmp_path / "pb.json", PYTEST_BENCHMARK))
    assert pb.format == "pytest-benchmark" and (pb.commit, pb.branch) == ("a1b2c3d4e5f6", "main")
    assert [(m.name, m.value, m.unit) for m in pb.measurements] == [
        ("tests/test_bench.py::test_parse", 0.00125, "s")
    ]
    hf = parse_results(_write(tmp_path / "hf.json", HYPERFINE))
    assert hf.format == "hyperfine"
    assert [(m.name, m.value) for m in hf.measurements] == [("conveyor validate", 0.21)]
    gb = parse_results(_write(tmp_path / "gb.json", GOOGLE))
    assert gb.format == "google-benchmark"
    assert [(m.name, m.value, m.unit, m.lower_is_better) for m in gb.measurements] == [
        ("BM_Sort/1024", 85.5, "us", True),
        ("BM_Sort/1024:items_per_second", 11976.0, "items/second", False),
        ("BM_Hash", 12.0, "ns", True),  # the median aggregate, not the repetitions
    ]
    plain = parse_results(
        _write(
            tmp_path / "p.txt",
            "# name value unit\nstartup 0.21 s\nthroughput 950 ops/s\n"
            "memory 120 MiB\nscore 7 points higher\n",
        )
    )
    assert [(m.name, m.lower_is_better) for m in plain.measurements] == [
        ("startup", True), ("throughput", False), ("memory", True), ("score", False),
    ]  # fmt: skip


def test_bad_files_name_their_place(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"p\.txt:2:1: expected 'name value unit"):
        parse_results(_write(tmp_path / "p.txt", "ok 1 s\nbroken line\n"))
    with pytest.raises(UserError, match=r"q\.txt:1:6: 'fast' is not a number"):
        parse_results(_write(tmp_path / "q.txt", "name fast s\n"))
    with pytest.raises(UserError, match=r"b\.json:1:\d+: not valid JSON"):
        parse_results(_write(tmp_path / "b.json", "{nope"))
    with pytest.raises(UserError, match="not a benchmark result file conveyor knows"):
        parse_results(_write(tmp_path / "c.json", {"tests": []}))


def _history(db: ResultsDb, tmp_path: Path, repository: int, values: list[float]) -> None:
    for i, value in enumerate(values):
        path = _write(tmp_path / f"r{i}.txt", f"startup {value} ms\nsteady {100 + i % 3} ms\n")
        ingest(db, [path], PerfContext(None, f"c{i:03d}", "main", repository, 1000.0 + i))


def test_ingest_and_check_find_the_step_and_its_commits(
    make_db: Callable[[], ResultsDb], tmp_path: Path
) -> None:
    db = make_db()
    repository = db.repository_id("github.com/acme/perf", "acme/perf", None)
    rng = random.Random(7)
    values = [100 * (1 + rng.gauss(0, 0.02)) for _ in range(30)]
    values += [125 * (1 + rng.gauss(0, 0.02)) for _ in range(6)]
    _history(db, tmp_path, repository, values)
    with db.read() as connection:
        (startup,) = [s for s in series(connection, repository) if s.benchmark == "startup"]
        assert len(startup.points) == 36 and startup.points[0].commit == "c000"
        result = check(connection, repository)
        moves = trends(connection, repository, since=0)
    assert result.checked == 2
    (finding,) = result.findings
    assert finding.benchmark == "startup" and finding.change.verdict == "regression"
    assert finding.commit_range == "c029..c030"
    assert 0.2 < finding.change.change < 0.3
    assert f"{finding.change.change:.1%} slower" in finding.describe()
    assert "appeared in c029..c030" in finding.describe()
    assert result.failing(0.05) == [finding] and result.failing(0.5) == []
    assert moves[0].benchmark == "startup" and moves[0].change > 0.2

    # a branch's run: judged as the newest value after main's history
    branch = _write(tmp_path / "pr.txt", "steady 160 ms\n")
    run_db = ingest(db, [branch], PerfContext(None, "pr1", "feature", repository, 5000.0))
    assert run_db.results == 1
    with db.read() as connection:
        main_only = check(connection, repository)
    assert [f.benchmark for f in main_only.findings] == ["startup"]  # the branch is not main


def test_the_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CONVEYOR_REPOSITORY", "github.com/acme/cli")
    state = ["--state-dir", str(tmp_path / "state")]
    assert main(["perf", "check", *state]) == 0
    assert "no benchmark results" in capsys.readouterr().out.lower()
    for i in range(30):
        _write(tmp_path / "r.txt", f"startup {100 + (i % 5) * 0.5} ms\n")
        assert main(["perf", "ingest", str(tmp_path / "r.txt"), "--commit", f"c{i}", *state]) == 0
    assert "ingested 1 benchmark results" in capsys.readouterr().out
    assert main(["perf", "check", *state]) == 0
    assert "no change beyond the noise" in capsys.readouterr().out
    _write(tmp_path / "slow.txt", "startup 140 ms\n")
    assert main(["perf", "ingest", str(tmp_path / "slow.txt"), "--commit", "s0", *state]) == 0
    capsys.readouterr()
    assert main(["perf", "check", *state]) == 0  # one slow value: suspect only
    assert "suspect: startup is" in capsys.readouterr().out
    assert main(["perf", "check", "--fail-on-suspect", *state]) == 1
    capsys.readouterr()
    for i in range(1, 5):
        assert (
            main(["perf", "ingest", str(tmp_path / "slow.txt"), "--commit", f"s{i}", *state]) == 0
        )
    capsys.readouterr()
    assert main(["perf", "check", "--format", "json", *state]) == 1
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert report["failing"] == ["startup"]
    (finding,) = report["findings"]
    assert finding["commit_range"] == "c29..s0" and finding["verdict"] == "regression"
    assert "1 benchmark(s) regressed by 5% or more: startup" in captured.err
    assert main(["perf", "check", "--threshold", "0.5", *state]) == 0  # 40 % < 50 %
    assert main(["perf", "ingest", str(tmp_path / "missing.txt"), *state]) == 2
