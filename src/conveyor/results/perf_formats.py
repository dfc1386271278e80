"""Benchmark result files: pytest-benchmark JSON, hyperfine JSON, Google Benchmark JSON,
and plain lines ``name value unit [lower|higher]``. Each gives :class:`Measurement` s.

- **pytest-benchmark** (``--benchmark-json``): ``benchmarks[].stats.median`` in seconds
  (``mean`` when there is no median); the commit and branch of ``commit_info``;
- **hyperfine** (``--export-json``): ``results[].median`` in seconds (``mean``
  otherwise), named by ``command``;
- **Google Benchmark** (``--benchmark_format=json``): ``benchmarks[]`` of
  ``run_type`` ``iteration`` (the median aggregate when repetitions were aggregated),
  ``real_time`` in ``time_unit``; ``items_per_second``/``bytes_per_second`` as
  benchmarks of their own, where higher is better;
- **plain**: one ``name value unit`` per line (``#`` comments, blank lines); a fourth
  word ``higher`` or ``lower`` says which way is better (default: by the unit -- times
  and sizes lower, rates such as ``ops/s`` higher).

A file that is none of these is a :class:`~conveyor.errors.UserError` naming it, with the
line for plain files.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conveyor.errors import UserError

_HIGHER_UNITS = ("/s", "ops", "per_second", "per second", "hz", "fps", "rps", "qps", "score")


@dataclass(frozen=True, slots=True)
class Measurement:
    name: str
    value: float
    unit: str
    lower_is_better: bool = True


@dataclass(frozen=True, slots=True)
class ResultFile:
    format: str
    measurements: list[Measurement]
    commit: str = ""  # when the file says (pytest-benchmark's commit_info)
    branch: str = ""


def lower_is_better(unit: str) -> bool:
    """Times, sizes and counts are better lower; rates (``ops/s``, ``Hz``) higher."""
    text = unit.strip().lower()
    return not any(mark in text for mark in _HIGHER_UNITS)


def parse_results(path: Path) -> ResultFile:
    """The measurements of ``path``, whatever its format."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: cannot read benchmark results: {exc}") from exc
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise UserError(
                f"{path}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg}); expected "
                "pytest-benchmark, hyperfine or Google Benchmark JSON"
            ) from exc
        return _from_json(path, data)
    return ResultFile("plain", _plain(path, text))


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _from_json(path: Path, data: Any) -> ResultFile:
    if isinstance(data, dict) and isinstance(data.get("benchmarks"), list):
        if "machine_info" in data or "commit_info" in data or _has_stats(data["benchmarks"]):
            return _pytest_benchmark(path, data)
        if "context" in data or any(
            isinstance(b, dict) and "real_time" in b for b in data["benchmarks"]
        ):
            return _google_benchmark(path, data)
    if isinstance(data, dict) and isinstance(data.get("results"), list):
        return _hyperfine(path, data)
    raise UserError(
        f"{path}: not a benchmark result file conveyor knows: expected pytest-benchmark "
        "JSON (--benchmark-json), hyperfine JSON (--export-json), Google Benchmark JSON "
        "(--benchmark_format=json) or plain 'name value unit' lines"
    )


def _has_stats(benchmarks: list[Any]) -> bool:
    return any(isinstance(b, dict) and isinstance(b.get("stats"), dict) for b in benchmarks)


def _pytest_benchmark(path: Path, data: dict[str, Any]) -> ResultFile:
    found: list[Measurement] = []
    for index, bench in enumerate(data["benchmarks"]):
        stats = bench.get("stats") if isinstance(bench, dict) else None
        name = bench.get("fullname") or bench.get("name") if isinstance(bench, dict) else None
        value = _number(stats.get("median", stats.get("mean"))) if isinstance(stats, dict) else None
        if not name or value is None:
            raise UserError(
                f"{path}: benchmarks[{index}] has no name and stats.median/mean: not "
                "pytest-benchmark output (write it with --benchmark-json)"
            )
        found.append(Measurement(str(name), value, "s"))
    info = data.get("commit_info") if isinstance(data.get("commit_info"), dict) else {}
    assert isinstance(info, dict)
    return ResultFile(
        "pytest-benchmark", found, str(info.get("id") or ""), str(info.get("branch") or "")
    )


def _hyperfine(path: Path, data: dict[str, Any]) -> ResultFile:
    found: list[Measurement] = []
    for index, result in enumerate(data["results"]):
        if not isinstance(result, dict):
            raise UserError(f"{path}: results[{index}] is not an object: not hyperfine output")
        value = _number(result.get("median", result.get("mean")))
        name = result.get("command")
        if not name or value is None:
            raise UserError(
                f"{path}: results[{index}] has no command and median/mean: not hyperfine "
                "output (write it with --export-json)"
            )
        found.append(Measurement(str(name), value, "s"))
    return ResultFile("hyperfine", found)


_TIME_UNITS = {"ns": "ns", "us": "us", "ms": "ms", "s": "s"}


def _google_benchmark(path: Path, data: dict[str, Any]) -> ResultFile:
    rows = [b for b in data["benchmarks"] if isinstance(b, dict)]
    aggregated = {str(b.get("run_name")) for b in rows if b.get("run_type") == "aggregate"}
    found: list[Measurement] = []
    for index, bench in enumerate(rows):
        run_type = bench.get("run_type", "iteration")
        if run_type == "aggregate":
            if bench.get("aggregate_name") != "median":
                continue
            name = str(bench.get("run_name") or bench.get("name"))
        elif str(bench.get("run_name")) in aggregated:
            continue  # its repetitions: the median aggregate stands for them
        else:
            name = str(bench.get("name") or "")
        value = _number(bench.get("real_time"))
        if not name or value is None:
            raise UserError(
                f"{path}: benchmarks[{index}] has no name and real_time: not Google "
                "Benchmark output (write it with --benchmark_format=json)"
            )
        unit = _TIME_UNITS.get(str(bench.get("time_unit", "ns")), "ns")
        found.append(Measurement(name, value, unit))
        for rate in ("items_per_second", "bytes_per_second"):
            per = _number(bench.get(rate))
            if per is not None:
                found.append(Measurement(f"{name}:{rate}", per, rate.replace("_per_", "/"), False))
    return ResultFile("google-benchmark", found)


def _plain(path: Path, text: str) -> list[Measurement]:
    found: list[Measurement] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        words = line.split()
        direction = words[3].lower() if len(words) == 4 else None
        if len(words) not in (3, 4) or direction not in (None, "lower", "higher"):
            raise UserError(
                f"{path}:{number}:1: expected 'name value unit [lower|higher]', got {raw.strip()!r}"
            )
        try:
            value = float(words[1])
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            raise UserError(
                f"{path}:{number}:{raw.find(words[1]) + 1}: {words[1]!r} is not a number"
            )
        better = lower_is_better(words[2]) if direction is None else direction == "lower"
        found.append(Measurement(words[0], value, words[2], better))
    if not found:
        raise UserError(f"{path}: no benchmark results in it (expected 'name value unit' lines)")
    return found
