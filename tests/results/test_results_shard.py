"""Sharding: determinism, balance against the lower bound, unknown durations, CLI."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path

import pytest
from results_helpers import FIXTURES, in_repo

from conveyor.cli.main import main
from conveyor.results.db import ResultsDb
from conveyor.results.ingest import ingest
from conveyor.results.sharding import estimate, lower_bound, split


def _suite(n: int = 1500, seed: int = 7) -> dict[str, float]:
    rng = random.Random(seed)
    found = {f"tests/t{i:04d}.py::test": rng.lognormvariate(0, 1.3) for i in range(n)}
    found.update({f"tests/slow{i}.py::test": rng.uniform(40, 90) for i in range(4)})
    return found


def test_same_input_same_output_regardless_of_order() -> None:
    suite = _suite()
    items = list(suite.items())
    random.Random(1).shuffle(items)
    assert split(dict(items), 8) == split(suite, 8)


@pytest.mark.parametrize("count", [2, 4, 8, 16])
def test_balance_is_near_the_lower_bound(count: int) -> None:
    suite = _suite()
    shards = split(suite, count)
    assert sorted(t for s in shards for t in s.tests) == sorted(suite)
    ratio = max(s.duration for s in shards) / lower_bound(suite, count)
    assert ratio <= 1.02


def test_a_test_longer_than_the_average_gets_its_own_shard() -> None:
    suite = {"big": 100.0, **{f"s{i}": 1.0 for i in range(30)}}
    shards = split(suite, 3)
    assert max(s.duration for s in shards) == 100.0
    assert next(s for s in shards if "big" in s.tests).tests == ("big",)


def test_unknown_tests_get_the_mean_of_known_durations() -> None:
    got = estimate(["a", "b", "c", "a"], {"a": 2.0, "b": 4.0, "zzz": 100.0})
    assert got == {"a": 2.0, "b": 4.0, "c": 3.0}
    assert estimate(["x"], {}) == {"x": 1.0}


def test_shard_cli_with_durations_file(
    tmp_path: Path, state_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    durations = tmp_path / ".test_durations"
    durations.write_text(json.dumps({"t::a": 10.0, "t::b": 6.0, "t::c": 5.0, "t::d": 1.0}))
    ids = tmp_path / "ids.txt"
    ids.write_text("t::d\nt::c\n# comment\nt::b\nt::a\nt::new\n")
    outs = []
    for index in (0, 1):
        code = main(
            [
                "shard",
                str(ids),
                "--count",
                "2",
                "--index",
                str(index),
                "--durations",
                str(durations),
            ]
        )
        assert code == 0
        outs.append(capsys.readouterr().out.split())
    assert outs == [["t::a", "t::c"], ["t::b", "t::d", "t::new"]]  # 15 s and 12.5 s
    code = main(
        [
            "shard",
            str(ids),
            "--count",
            "2",
            "--index",
            "1",
            "--durations",
            str(durations),
            "--format",
            "pytest-args",
        ]
    )
    assert code == 0 and capsys.readouterr().out == "t::b t::d t::new\n"
    assert main(["shard", str(ids), "--count", "2", "--index", "2"]) == 2


def test_shard_uses_recorded_durations(
    make_db: Callable[[], ResultsDb],
    tmp_path: Path,
    state_dir: Path,
    cli_env: None,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    db = make_db()
    ingest(db, [FIXTURES / "pytest_xunit2.xml", FIXTURES / "playwright.xml"], in_repo(db))
    ids = "tests/test_math.py::test_add\nlogin.spec.ts::logs in with a valid password\nother\n"
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO(ids))
    code = main(["shard", "-", "--count", "2", "--index", "0", "--state-dir", str(state_dir)])
    out = capsys.readouterr().out.splitlines()
    assert code == 0
    # known: 1.25 (playwright) and 0.001 (xunit2 id of the node id); "other" gets the mean
    assert out == ["login.spec.ts::logs in with a valid password"]


def test_zero_durations_spread_evenly_across_shards() -> None:
    shards = split({f"t{i:02d}": 0.0 for i in range(12)}, 4)
    assert [len(s.tests) for s in shards] == [3, 3, 3, 3]
    assert sorted(t for s in shards for t in s.tests) == [f"t{i:02d}" for i in range(12)]
