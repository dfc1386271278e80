"""Run one shard of the tests: ``python scripts/shard.py SHARD TOTAL [SELECT...] [-- RUN...]``.

Collects the test ids pytest selects with the SELECT arguments (e.g. ``-m unit``), keeps
every TOTAL-th one starting at SHARD (1-based) in collection order, and runs just those,
with the RUN arguments added (e.g. ``-q --junitxml=reports/unit-1.xml``). Collection order
is stable, so the shards are disjoint and together cover every selected test.
"""

from __future__ import annotations

import subprocess
import sys


def collect(select: list[str]) -> list[str]:
    command = [sys.executable, "-m", "pytest", "--collect-only", "-q", *select]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode not in (0, 5):  # 5: nothing collected
        sys.stdout.write(result.stdout + result.stderr)
        raise SystemExit(result.returncode)
    return [line for line in result.stdout.splitlines() if "::" in line]


def pick(test_ids: list[str], shard: int, total: int) -> list[str]:
    return test_ids[shard - 1 :: total]


def main(argv: list[str]) -> int:
    if len(argv) < 2 or not (argv[0].isdigit() and argv[1].isdigit()):
        print(__doc__, file=sys.stderr)
        return 2
    shard, total, rest = int(argv[0]), int(argv[1]), argv[2:]
    select, run = (
        (rest[: rest.index("--")], rest[rest.index("--") + 1 :]) if "--" in rest else (rest, [])
    )
    if not 1 <= shard <= total:
        print(f"shard must be between 1 and {total}, got {shard}", file=sys.stderr)
        return 2
    everything = collect(select)
    mine = pick(everything, shard, total)
    print(f"shard {shard}/{total}: {len(mine)} of {len(everything)} tests", flush=True)
    if not mine:
        return 0  # an empty shard passes; pytest with no ids would run everything
    return subprocess.call([sys.executable, "-m", "pytest", *select, *run, *mine])


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
