"""The Mann–Whitney U test (Wilcoxon rank-sum), as Kayenta judges a canary against its
baseline: does one version's sample of a metric tend to be larger than the other's?

No distributional assumption (latencies and error rates are not normal), robust to
outliers, and it works on the small per-interval samples a canary gives. Exact p-values
(the U distribution counted by recurrence) when there are no ties and the samples are
small; otherwise the normal approximation with the tie correction and a continuity
correction -- the choices scipy's ``mannwhitneyu`` makes, which the tests check against.

The effect size is Cliff's delta (the rank-biserial correlation), ``P(X > Y) - P(X < Y)``
from -1 to 1: how far apart the samples are, whatever the sample sizes (a tiny p-value
on big samples can come with a difference nobody cares about).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

Alternative = Literal["two-sided", "greater", "less"]
EXACT_MAX_PRODUCT = 400  # n1 * n2 up to this, without ties: the exact distribution


@dataclass(frozen=True, slots=True)
class UTest:
    u: float  # U of the first sample: pairs (x, y) with x > y, ties counting a half
    p_value: float
    effect: float  # Cliff's delta of x against y: +1 every x is larger, -1 every x smaller
    method: Literal["exact", "normal"]
    n_x: int
    n_y: int


def _ranks(values: Sequence[float]) -> tuple[list[float], list[int]]:
    """Average ranks (1-based) of ``values``, and the sizes of the groups of ties."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    ties: list[int] = []
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        rank = (start + end) / 2 + 1
        for position in range(start, end + 1):
            ranks[order[position]] = rank
        if end > start:
            ties.append(end - start + 1)
        start = end + 1
    return ranks, ties


@functools.lru_cache(maxsize=64)
def _u_counts(m: int, n: int) -> tuple[int, ...]:
    """How many of the C(m+n, m) orderings of two samples of sizes ``m`` and ``n`` (no
    ties) give each U from 0 to m*n: c(m, n, u) = c(m-1, n, u-n) + c(m, n-1, u)."""
    if m == 0 or n == 0:
        return (1,)
    first = _u_counts(m - 1, n)
    second = _u_counts(m, n - 1)
    counts = [0] * (m * n + 1)
    for u, count in enumerate(second):
        counts[u] += count
    for u, count in enumerate(first):
        counts[u + n] += count
    return tuple(counts)


def _normal_sf(z: float) -> float:
    return 0.5 * math.erfc(z / math.sqrt(2))


def mann_whitney(
    x: Sequence[float],
    y: Sequence[float],
    alternative: Alternative = "two-sided",
    method: Literal["auto", "exact", "normal"] = "auto",
) -> UTest:
    """Test whether ``x`` tends to be larger (``greater``), smaller (``less``) or either
    (``two-sided``) than ``y``. ``auto``: exact without ties on small samples, else the
    normal approximation. Raises ValueError on an empty sample."""
    n_x, n_y = len(x), len(y)
    if n_x == 0 or n_y == 0:
        raise ValueError("the Mann-Whitney U test needs at least one value in each sample")
    ranks, ties = _ranks([*x, *y])
    u = sum(ranks[:n_x]) - n_x * (n_x + 1) / 2
    product = n_x * n_y
    effect = 2 * u / product - 1
    exact = not ties and product <= EXACT_MAX_PRODUCT if method == "auto" else method == "exact"
    if exact:
        counts = _u_counts(min(n_x, n_y), max(n_x, n_y))
        total = math.comb(n_x + n_y, n_x)
        k = round(u)
        greater = sum(counts[k:]) / total  # P(U >= u)
        less = sum(counts[: k + 1]) / total  # P(U <= u)
        p = {"greater": greater, "less": less, "two-sided": 2 * min(greater, less)}[alternative]
        return UTest(u, min(1.0, p), effect, "exact", n_x, n_y)
    n = n_x + n_y
    mean = product / 2
    tie_term = sum(t**3 - t for t in ties) / (n * (n - 1)) if n > 1 else 0.0
    sigma = math.sqrt(product / 12 * ((n + 1) - tie_term))
    if sigma == 0:  # every value equal: no evidence either way
        return UTest(u, 1.0, effect, "normal", n_x, n_y)
    greater = _normal_sf((u - mean - 0.5) / sigma)
    less = _normal_sf((mean - u - 0.5) / sigma)
    p = {"greater": greater, "less": less, "two-sided": 2 * min(greater, less)}[alternative]
    return UTest(u, min(1.0, p), effect, "normal", n_x, n_y)
