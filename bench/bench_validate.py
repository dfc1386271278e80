"""Benchmark: validate every corpus workflow and action file in one process.

Run ``.venv/bin/python bench/bench_validate.py`` (or via ``bench/run_all.py``).
Target: all 166 files in under 2 s.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

_REPO = Path(__file__).resolve().parents[1]
CORPUS = next(
    (
        p / "corpus" / "workflows"
        for p in (_REPO.parent / "shared", Path("/work/shared"))
        if (p / "corpus" / "workflows").is_dir()
    ),
    _REPO.parent / "shared" / "corpus" / "workflows",
)
TARGET_S = 2.0


def main() -> dict[str, object]:
    started = time.perf_counter()
    from conveyor.workflow import validate_paths

    imported = time.perf_counter()
    files = sorted(str(p) for p in CORPUS.glob("*.y*ml"))
    diagnostics = validate_paths(files)
    done = time.perf_counter()
    errors = sum(1 for d in diagnostics if d.is_error)
    return {
        "files": len(files),
        "errors": errors,
        "warnings": len(diagnostics) - errors,
        "import_s": round(imported - started, 3),
        "validate_s": round(done - imported, 3),
        "total_s": round(done - started, 3),
        "target_s": TARGET_S,
        "ok": errors == 0 and done - imported < TARGET_S,
    }


if __name__ == "__main__":
    result = main()
    print(json.dumps(result, sort_keys=True))
    sys.exit(0 if result["ok"] else 1)
