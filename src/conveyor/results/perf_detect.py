"""Regression detection on a benchmark's history: a change point found by a one-sided
Mann–Whitney U test, with a minimum size of change.

The history is one benchmark's values on the default branch, oldest first. Its newest
values are the **recent** segment, the values before them the **baseline** (up to
``baseline`` values). For every split that leaves at least ``min_points`` values after
it (and at most ``recent``), the recent values are compared with the baseline by the
Mann–Whitney U test (exact null distribution: small samples are the point here), oriented
so that "worse" is higher for times and lower for rates. A split is a candidate when

- its p-value is below ``alpha`` divided by the number of splits that could raise an
  alert (``recent - min_points + 1``; Bonferroni: several splits are tried at every
  check, so the family's false-alarm rate stays below ``alpha``), and
- the median moved by at least ``threshold`` (relative) the wrong way -- a difference too
  small to matter is not reported however significant;

and the change point is the candidate that separates best: the largest share of
(before, after) pairs ordered the worse way, U / (n1 n2), then the one with more values
after it (the smallest p-value alone favours long segments that blur the change). It is
a **regression** (or an **improvement**) when it is at most ``recent`` values old; an
older one is history, the level after it the new normal, and the search goes on in the
values after it (binary segmentation).

Why this test: benchmark noise is rarely normal (long right tails, a few outliers, runs
on busy machines), so a rank test holds its false-alarm rate where a t-test or z-score
does not; one outlier changes one rank, so it never moves the median or makes a segment
significant on its own; and needing ``min_points`` values after the change means a
single slow run is only reported as **suspect** until it is confirmed. A slow drift is a
change of the median between the baseline and the recent values once it exceeds the
threshold. The split gives the commit range where the change appeared: between the last
value before it and the first one after.
"""

from __future__ import annotations

import bisect
import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import median
from typing import Literal

Verdict = Literal["regression", "improvement", "suspect"]


@dataclass(frozen=True, slots=True)
class DetectSettings:
    threshold: float = 0.05  # the smallest relative change reported
    alpha: float = 0.0005  # the family-wise false-alarm rate of one check
    min_points: int = 5  # values after a change before it counts (fewer: suspect)
    baseline: int = 30  # values before the split compared with
    recent: int = 10  # a change with more values after it is history: the new normal
    min_baseline: int = 8  # fewer values before a split: nothing is judged


@dataclass(frozen=True, slots=True)
class Change:
    verdict: Verdict
    index: int  # the first value after the change
    before: float  # the baseline's median
    after: float  # the recent values' median
    change: float  # relative change of the median, positive = worse
    p_value: float
    points_after: int
    points_before: int


def mann_whitney_greater(after: Sequence[float], before: Sequence[float]) -> float:
    """One-sided p-value that ``after`` tends to be greater than ``before`` (U with
    mid-ranks for ties; the exact null distribution up to 10 000 arrangements' worth of
    sizes, the normal approximation with a tie correction beyond)."""
    n1, n2 = len(after), len(before)
    if n1 == 0 or n2 == 0:
        return 1.0
    u = u_statistic(after, before)
    if n1 * n2 <= 600:
        counts = _u_counts(n1, n2)
        total = sum(counts)
        at_least = math.ceil(u - 1e-9)
        return sum(counts[at_least:]) / total
    mean = n1 * n2 / 2
    ties = _tie_term(list(after) + list(before))
    n = n1 + n2
    variance = n1 * n2 / 12 * ((n + 1) - ties / (n * (n - 1)))
    if variance <= 0:
        return 1.0
    z = (u - mean - 0.5) / math.sqrt(variance)
    return 0.5 * math.erfc(z / math.sqrt(2))


def u_statistic(after: Sequence[float], before: Sequence[float]) -> float:
    """Mann–Whitney U of ``after`` over ``before``: the pairs where it is greater (ties
    count a half)."""
    ordered = sorted(before)
    u = 0.0
    for a in after:
        below = bisect.bisect_left(ordered, a)
        u += below + 0.5 * (bisect.bisect_right(ordered, a) - below)
    return u


def _tie_term(values: list[float]) -> float:
    seen: dict[float, int] = {}
    for v in values:
        seen[v] = seen.get(v, 0) + 1
    return float(sum(t**3 - t for t in seen.values()))


@functools.cache
def _u_counts(n1: int, n2: int) -> tuple[int, ...]:
    """How many arrangements of n1 and n2 values give each U (0..n1*n2)."""
    if n1 == 0 or n2 == 0:
        return (1,)
    with_last_first = _u_counts(n1 - 1, n2)  # the largest value is from the first sample
    with_last_second = _u_counts(n1, n2 - 1)
    size = n1 * n2 + 1
    counts = [0] * size
    for u, c in enumerate(with_last_first):
        counts[u + n2] += c
    for u, c in enumerate(with_last_second):
        counts[u] += c
    return tuple(counts)


def relative_change(before: float, after: float, lower_is_better: bool) -> float:
    """How much worse ``after`` is than ``before`` (positive: worse), relative."""
    if before == 0:
        return 0.0 if after == before else math.copysign(math.inf, after - before)
    change = (after - before) / abs(before)
    return change if lower_is_better else -change


def find_change(
    values: Sequence[float], lower_is_better: bool, settings: DetectSettings | None = None
) -> Change | None:
    """The change the newest values of ``values`` (oldest first) show, if any: a
    regression, an improvement, or a suspect (too few values after it to tell).

    Binary segmentation: the most significant split of the window is found; when it is
    older than ``recent`` values it is history (the level after it is the new normal)
    and the search goes on in the values after it."""
    chosen = settings or DetectSettings()
    start = 0
    while True:
        best = _best_split(values, start, lower_is_better, chosen)
        if best is None:
            break
        if best.points_after <= chosen.recent:
            return best
        start = best.index  # an older change: judge what came after it
    return _suspect(values[start:], lower_is_better, chosen, offset=start)


def _best_split(
    values: Sequence[float], start: int, lower_is_better: bool, chosen: DetectSettings
) -> Change | None:
    n = len(values)
    oriented = [v if lower_is_better else -v for v in values]
    first = max(start + chosen.min_baseline, n - chosen.baseline - chosen.recent)
    splits = range(first, n - chosen.min_points + 1)
    # only a split at most ``recent`` values old can raise an alert: the correction is
    # for those; older splits only decide what is history
    tests = max(1, chosen.recent - chosen.min_points + 1)
    best: Change | None = None
    best_key = (0.0, 0)
    for split in splits:
        begin = max(start, split - chosen.baseline)
        low, high = oriented[begin:split], oriented[split:]
        before, after = median(values[begin:split]), median(values[split:])
        change = relative_change(before, after, lower_is_better)
        if abs(change) < chosen.threshold:
            continue
        worse = change > 0
        p = mann_whitney_greater(high, low) if worse else mann_whitney_greater(low, high)
        p = min(1.0, p * tests)
        if p >= chosen.alpha:
            continue
        found = Change(
            "regression" if worse else "improvement",
            split,
            before,
            after,
            change,
            p,
            n - split,
            split - begin,
        )
        # the split that separates best (the share of pairs ordered the wrong way), then
        # the one with more values after it: min p alone favours longer, blurred segments
        pairs = len(low) * len(high)
        separation = (u_statistic(high, low) if worse else u_statistic(low, high)) / pairs
        key = (-separation, -found.points_after)
        if best is None or key < best_key:
            best, best_key = found, key
    return best


def _suspect(
    values: Sequence[float], lower_is_better: bool, chosen: DetectSettings, offset: int = 0
) -> Change | None:
    """The newest values (fewer than ``min_points``) all worse than every baseline value
    and by at least the threshold: reported, not yet a regression."""
    n = len(values)
    oriented = [v if lower_is_better else -v for v in values]
    for size in range(1, chosen.min_points):
        split = n - size
        if split < chosen.min_baseline:
            return None
        begin = max(0, split - chosen.baseline)
        if min(oriented[split:]) <= max(oriented[begin:split]):
            continue
        before, after = median(values[begin:split]), median(values[split:])
        change = relative_change(before, after, lower_is_better)
        if change >= chosen.threshold:
            p = mann_whitney_greater(oriented[split:], oriented[begin:split])
            return Change("suspect", offset + split, before, after, change, p, size, split - begin)
    return None
