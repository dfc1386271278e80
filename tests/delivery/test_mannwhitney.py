"""The Mann-Whitney U test against values scipy.stats.mannwhitneyu gives (its docs'
example, and the exact distribution counted by hand) and against its own exact
distribution."""

from __future__ import annotations

import math
import random

import pytest

from conveyor.delivery.mannwhitney import mann_whitney

MALES = [19, 22, 16, 29, 24]
FEMALES = [20, 11, 17, 12]


def test_scipy_documented_example_exact_and_normal() -> None:
    exact = mann_whitney(MALES, FEMALES)
    assert exact.method == "exact"
    assert exact.u == 17
    assert exact.p_value == pytest.approx(0.1111111111111111)
    normal = mann_whitney(MALES, FEMALES, method="normal")
    assert normal.p_value == pytest.approx(0.11134688653314041, rel=1e-9)


def test_fully_separated_samples() -> None:
    low, high = [1, 2, 3, 4, 5], [6, 7, 8, 9, 10]
    both = mann_whitney(low, high)
    assert both.u == 0 and both.effect == -1
    assert both.p_value == pytest.approx(2 / 252)
    assert mann_whitney(high, low, "greater").p_value == pytest.approx(1 / 252)
    assert mann_whitney(high, low, "less").p_value == pytest.approx(1.0)
    assert mann_whitney(high, low).effect == 1


def test_ties_use_average_ranks_and_the_tie_correction() -> None:
    x, y = [1, 2, 2, 3, 3, 3], [2, 3, 4, 4, 5]
    result = mann_whitney(x, y, "less")
    assert result.method == "normal"
    # ranks: 1:1, 2:3 (x2, y1), 3:6.5 (x3, y1), 4:9.5, 5:11 -> R_x = 1+3+3+6.5*3 = 26.5
    assert result.u == 26.5 - 21
    n, ties = 11, [3, 4, 2]
    sigma = math.sqrt(30 / 12 * ((n + 1) - sum(t**3 - t for t in ties) / (n * (n - 1))))
    expected = 0.5 * math.erfc(-((5.5 - 15 + 0.5) / sigma) / math.sqrt(2))
    assert result.p_value == pytest.approx(expected)
    assert result.p_value < 0.05
    assert mann_whitney([7, 7, 7], [7, 7]).p_value == 1.0


def test_the_normal_approximation_is_close_to_the_exact_distribution() -> None:
    rng = random.Random(4)
    x = [rng.gauss(0, 1) for _ in range(15)]
    y = [rng.gauss(0.8, 1) for _ in range(20)]
    exact = mann_whitney(x, y, "less", method="exact")
    normal = mann_whitney(x, y, "less", method="normal")
    assert exact.p_value == pytest.approx(normal.p_value, abs=0.01)
    assert exact.effect == normal.effect < 0


def test_an_empty_sample_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one value"):
        mann_whitney([], [1.0])
