"""Splitting tests into N shards of near-equal total duration.

Longest-processing-time first: tests by descending duration (ties by id) each go to
the least-loaded shard (ties by fewer tests, then shard index); then, unless already
within 0.1 % of the lower bound, deterministic improvement passes move or swap tests
between the heaviest shard and the others while that lowers the heaviest load. Input
order never matters (ids are deduplicated and sorted first), so every machine computes
the same split from the same ids and durations.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

_IMPROVE_ROUNDS = 200
_EPS = 1e-9
_GOOD_ENOUGH = 1e-3  # within 0.1 % of the lower bound: no improvement passes


@dataclass(frozen=True, slots=True)
class Shard:
    index: int
    tests: tuple[str, ...]
    duration: float


def estimate(ids: Iterable[str], known: Mapping[str, float]) -> dict[str, float]:
    """Duration per id: the recorded one, else the mean of the known durations (1.0 s when
    none is known)."""
    unique = sorted(set(ids))
    found = [known[i] for i in unique if i in known]
    fallback = sum(found) / len(found) if found else 1.0
    return {i: round(known.get(i, fallback), 6) for i in unique}


def lower_bound(durations: Mapping[str, float], count: int) -> float:
    if not durations:
        return 0.0
    longest = max(durations.values())
    return max(sum(durations.values()) / count, longest)


def _lpt(durations: Mapping[str, float], count: int) -> list[list[str]]:
    order = sorted(durations, key=lambda t: (-durations[t], t))
    # Ties on load go to the shard with fewer tests, so zero-duration tests spread evenly.
    heap = [(0.0, 0, index) for index in range(count)]
    shards: list[list[str]] = [[] for _ in range(count)]
    for test in order:
        load, size, index = heapq.heappop(heap)
        shards[index].append(test)
        heapq.heappush(heap, (load + durations[test], size + 1, index))
    return shards


def _improve(shards: list[list[str]], durations: Mapping[str, float]) -> None:
    """Move/swap tests out of the heaviest shard while that lowers the maximum."""
    loads = [sum(durations[t] for t in shard) for shard in shards]
    for _ in range(_IMPROVE_ROUNDS):
        top = max(range(len(shards)), key=lambda i: (loads[i], -i))
        best: tuple[float, int, str, str | None] | None = None  # (new max of pair, ...)
        for other in sorted(range(len(shards)), key=lambda i: (loads[i], i)):
            if other == top:
                continue
            gap = loads[top] - loads[other]
            for test in sorted(shards[top]):
                d = durations[test]
                if 0 < d < gap - _EPS:  # move
                    pair = max(loads[top] - d, loads[other] + d)
                    if best is None or pair < best[0] - _EPS:
                        best = (pair, other, test, None)
            for test in sorted(shards[top]):
                for back in sorted(shards[other]):
                    delta = durations[test] - durations[back]
                    if 0 < delta < gap - _EPS:
                        pair = max(loads[top] - delta, loads[other] + delta)
                        if best is None or pair < best[0] - _EPS:
                            best = (pair, other, test, back)
            if best is not None:
                break
        if best is None:
            return
        _pair, target, moved, swapped = best
        shards[top].remove(moved)
        shards[target].append(moved)
        loads[top] -= durations[moved]
        loads[target] += durations[moved]
        if swapped is not None:
            shards[target].remove(swapped)
            shards[top].append(swapped)
            loads[target] -= durations[swapped]
            loads[top] += durations[swapped]


def split(durations: Mapping[str, float], count: int, *, improve: bool = True) -> list[Shard]:
    """``count`` shards of the tests in ``durations`` (id -> seconds)."""
    if count < 1:
        raise ValueError("shard count must be at least 1")
    clean = {t: max(0.0, float(d)) for t, d in durations.items()}
    shards = _lpt(clean, count)
    if improve and count > 1:
        bound = lower_bound(clean, count)
        heaviest = max(sum(clean[t] for t in s) for s in shards)
        if heaviest > bound * (1 + _GOOD_ENOUGH):
            _improve(shards, clean)
    return [
        Shard(i, tuple(sorted(s)), round(sum(clean[t] for t in s), 6)) for i, s in enumerate(shards)
    ]
