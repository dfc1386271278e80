"""The demo repository in examples/service: its own test tiers, lint and types pass.

Every check runs on a copy outside conveyor's tree, as ``make demo`` does, so the
example can't lean on anything in this repository.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
import yaml

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "service"
JUNK = shutil.ignore_patterns(
    "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", "*.egg-info", "reports", ".venv"
)


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("example") / "service"
    shutil.copytree(EXAMPLE, target, ignore=JUNK)
    return target


def _run(repo: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "PYTHONPATH"))}
    return subprocess.run(
        [sys.executable, *args], cwd=repo, env=env, capture_output=True, text=True,
        timeout=timeout, check=False,
    )  # fmt: skip


def _collected(repo: Path, marker: str) -> int:
    result = _run(
        repo, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", "-m", marker
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return sum("::" in line for line in result.stdout.splitlines())


def test_the_whole_suite_passes(repo: Path) -> None:
    result = _run(repo, "-m", "pytest", "-q", "-p", "no:cacheprovider")
    assert result.returncode == 0, result.stdout + result.stderr
    last = result.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"\d+ passed in [\d.]+s", last), last
    assert int(last.split()[0]) >= 35


@pytest.mark.parametrize(("marker", "at_least"), [
    ("unit", 20), ("integration", 3), ("smoke", 1), ("e2e", 1),
])  # fmt: skip
def test_every_tier_has_tests(repo: Path, marker: str, at_least: int) -> None:
    assert _collected(repo, marker) >= at_least


def _shard_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("example_shard", EXAMPLE / "scripts" / "shard.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_four_shards_split_the_unit_tests_exactly(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shard = _shard_module()
    monkeypatch.chdir(repo)
    everything = shard.collect(["-m", "unit", "-p", "no:cacheprovider"])
    parts = [shard.pick(everything, n, 4) for n in (1, 2, 3, 4)]
    assert sorted(test for part in parts for test in part) == sorted(everything)
    assert max(map(len, parts)) - min(map(len, parts)) <= 1
    result = _run(
        repo, "scripts/shard.py", "2", "4", "-m", "unit", "--", "-q", "-p", "no:cacheprovider"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"shard 2/4: {len(parts[1])} of {len(everything)} tests" in result.stdout
    assert f"{len(parts[1])} passed" in result.stdout


def test_workflows_have_the_documented_jobs() -> None:
    def load(name: str) -> dict[str, object]:
        text = (EXAMPLE / ".github" / "workflows" / name).read_text(encoding="utf-8")
        data = yaml.load(text, Loader=yaml.BaseLoader)  # keeps `on` a string key
        assert isinstance(data, dict)
        return data

    pr = load("pr-validation.yml")
    assert set(pr["on"]) == {"pull_request", "push", "workflow_dispatch"}  # type: ignore[call-overload]
    jobs = pr["jobs"]
    assert isinstance(jobs, dict)
    assert list(jobs) == ["lint", "types", "unit", "audit", "summary"]
    assert jobs["unit"]["strategy"]["matrix"]["shard"] == ["1", "2", "3", "4"]
    assert jobs["summary"]["needs"] == ["lint", "types", "unit", "audit"]
    nightly = load("nightly.yml")
    assert nightly["on"]["schedule"] == [{"cron": "0 18 * * *"}]  # type: ignore[index]
    assert list(nightly["jobs"]) == ["setup", "integration", "smoke", "e2e", "report", "notify"]  # type: ignore[call-overload]


def test_nothing_points_back_into_conveyor() -> None:
    junk = {"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".venv"}
    for path in EXAMPLE.rglob("*"):
        if junk.intersection(path.parts):
            continue
        if path.is_file() and path.suffix in {".py", ".toml", ".yml", ".txt", ".md"}:
            text = path.read_text(encoding="utf-8")
            assert "import conveyor" not in text and "from conveyor" not in text, path
            assert "/work/" not in text and "../" not in text, path


def _have(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


@pytest.mark.skipif(not _have("ruff"), reason="ruff not installed")
def test_ruff_is_clean(repo: Path) -> None:
    for args in (["check", "."], ["format", "--check", "."]):
        result = _run(repo, "-m", "ruff", *args)
        assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.skipif(not _have("mypy"), reason="mypy not installed")
def test_mypy_strict_is_clean(repo: Path) -> None:
    result = _run(repo, "-m", "mypy", timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
