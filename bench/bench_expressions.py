"""Benchmark: parsing (cold and cached) and evaluating typical workflow expressions.

Run: ``.venv/bin/python bench/bench_expressions.py``; ``main()`` returns the numbers.
Times are CPU time (process_time) so other load on the machine matters less.
Targets: 10,000 cold parses < 1 s; 100,000 evaluations of parsed ASTs < 1.5 s.
"""

from __future__ import annotations

import json
import time
from typing import Any

from conveyor.expressions import evaluate, evaluate_if, interpolate, parse
from conveyor.expressions.parser import _parse_cached

EXPRESSIONS = [
    "github.event_name == 'push' && startsWith(github.ref, 'refs/tags/')",
    "matrix.os == 'ubuntu-latest' || contains(fromJSON('[\"a\", \"b\"]'), matrix.py)",
    "steps.build.outputs.version",
    "format('{0}-{1}-{2}', runner.os, matrix.py, hashFiles('**/*.lock'))",
    "!cancelled() && needs.test.result == 'success'",
    "join(github.event.commits.*.message, '\\n')",
    "toJSON(matrix)",
    "env.DEPLOY_ENV != '' && inputs.dry_run != true",
    "github.event.pull_request.head.repo.full_name == github.repository",
    "case(matrix.py >= 3.12, 'new', matrix.py >= 3.10, 'mid', 'old')",
]
CONTEXTS: dict[str, Any] = {
    "github": {
        "event_name": "push",
        "ref": "refs/tags/v1.2.3",
        "repository": "o/r",
        "event": {"commits": [{"message": f"commit {i}"} for i in range(5)]},
    },
    "matrix": {"os": "ubuntu-latest", "py": 3.12},
    "steps": {"build": {"outputs": {"version": "1.2.3"}}},
    "runner": {"os": "Linux"},
    "needs": {"test": {"result": "success"}},
    "env": {"DEPLOY_ENV": "prod"},
    "inputs": {"dry_run": False},
}
N_COLD = 10_000
N_EVAL = 100_000


def _fake_hash(patterns: Any) -> str:
    return "0" * 64


def main() -> dict[str, object]:
    variants = [
        f"{e} || {i} == {i}" for i in range(N_COLD // len(EXPRESSIONS)) for e in EXPRESSIONS
    ]
    _parse_cached.cache_clear()
    start = time.process_time()
    for text in variants:
        parse(text)
    cold = time.process_time() - start

    start = time.process_time()
    for _ in range(10):
        for text in variants[-1000:]:
            parse(text)
    cached = time.process_time() - start

    nodes = [parse(e) for e in EXPRESSIONS]
    start = time.process_time()
    for i in range(N_EVAL):
        evaluate(nodes[i % len(nodes)], CONTEXTS, hash_files=_fake_hash)
    evaluated = time.process_time() - start

    start = time.process_time()
    for _ in range(10_000):
        evaluate_if("github.ref == 'refs/tags/v1.2.3'", CONTEXTS)
        interpolate("v${{ steps.build.outputs.version }}-${{ matrix.os }}", CONTEXTS)
    templates = time.process_time() - start
    return {
        "cold_parses": len(variants),
        "cold_parse_s": round(cold, 4),
        "cached_parses": 10_000,
        "cached_parse_s": round(cached, 4),
        "evaluations": N_EVAL,
        "evaluate_s": round(evaluated, 4),
        "if_plus_interpolate_x10000_s": round(templates, 4),
        "ok": cold < 1.0 and evaluated < 1.5,
    }


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
