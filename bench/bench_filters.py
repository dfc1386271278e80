"""Benchmark: 50 filter patterns against 100,000 changed paths (target < 1 s).

Run: ``.venv/bin/python bench/bench_filters.py``; ``main()`` returns the numbers.
"""

from __future__ import annotations

import time

from conveyor.filters import matches_any, paths_filter_allows
from conveyor.filters.match import compile_list

N_PATHS = 100_000
TARGET_S = 1.0


def _patterns() -> list[str]:
    patterns: list[str] = []
    for i in range(25):
        patterns.append(f"pkg{i}/**/*.py")
        patterns.append(f"!pkg{i}/tests/**" if i % 2 else f"**/module{i}-*.[ch]")
    return patterns


def _paths() -> list[str]:
    paths: list[str] = []
    for i in range(N_PATHS):
        tests = "tests/" if i % 3 == 0 else ""
        ext = "py" if i % 2 else "c"
        paths.append(f"pkg{i % 40}/sub{i % 7}/{tests}module{i % 30}-{i}.{ext}")
    return paths


def main() -> dict[str, object]:
    patterns = _patterns()
    paths = _paths()
    compile_list.cache_clear()  # include compiling in the timing
    start = time.perf_counter()
    selected = sum(1 for p in paths if matches_any(patterns, p, kind="path"))
    elapsed = time.perf_counter() - start
    start = time.perf_counter()
    allowed = paths_filter_allows(patterns, None, paths)
    limited = time.perf_counter() - start
    result: dict[str, object] = {
        "patterns": len(patterns),
        "paths": len(paths),
        "selected": selected,
        "match_all_paths_s": round(elapsed, 4),
        "paths_filter_allows_s": round(limited, 6),
        "paths_filter_allows": allowed,
        "target_s": TARGET_S,
        "ok": elapsed < TARGET_S,
    }
    print(
        f"filters: {len(patterns)} patterns x {len(paths):,} paths in {elapsed:.3f}s "
        f"({selected:,} selected; target < {TARGET_S}s)"
    )
    return result


if __name__ == "__main__":
    main()
