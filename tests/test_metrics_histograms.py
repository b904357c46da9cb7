"""Separation power: its limits, an analytic value, shared reference binning, and bad input."""

from __future__ import annotations

import numpy as np
import pytest

from showerml.errors import InputError
from showerml.metrics import histogram_pair, separation_power
from showerml.metrics.histograms import reference_bins, separation_power_of_histograms


def test_identical_histograms_give_zero() -> None:
    h = np.array([1.0, 5.0, 3.0, 0.0, 2.0])
    assert separation_power_of_histograms(h, h) == 0.0
    assert separation_power_of_histograms(h, 7 * h) == pytest.approx(0.0)  # normalised first
    x = np.random.default_rng(0).normal(size=1000)
    assert separation_power(x, x) == 0.0


def test_disjoint_histograms_give_one() -> None:
    assert separation_power_of_histograms(np.array([3.0, 1.0, 0.0, 0.0]), np.array([0.0, 0.0, 2.0, 5.0])) == 1.0


def test_analytic_value() -> None:
    # h1 = (1/2, 1/2), h2 = (1, 0): S = 1/2 [ (1/2)^2 / (3/2) + (1/2)^2 / (1/2) ] = 1/2 (1/6 + 1/2) = 1/3
    assert separation_power_of_histograms(np.array([1.0, 1.0]), np.array([1.0, 0.0])) == pytest.approx(1 / 3)


def test_bins_come_from_the_reference_and_outliers_are_kept() -> None:
    ref = np.linspace(0.0, 1.0, 1001)
    edges = reference_bins(ref, 10)
    assert edges[0] == 0.0 and edges[-1] == 1.0 and len(edges) == 11
    pair = histogram_pair(ref, ref + 100.0, n_bins=10)
    assert pair.generated[-1] == 1.0  # everything beyond the range lands in the last bin
    assert pair.separation_power > 0.8
    assert pair.reference.sum() == pytest.approx(1.0)


def test_shift_grows_monotonically() -> None:
    rng = np.random.default_rng(1)
    ref, gen = rng.normal(size=50_000), rng.normal(size=50_000)
    values = [separation_power(ref, gen + d) for d in (0.0, 0.1, 0.3, 1.0)]
    assert values[0] < 0.002 and all(a < b for a, b in zip(values, values[1:], strict=False))


def test_bad_input() -> None:
    with pytest.raises(InputError):
        separation_power(np.array([]), np.array([1.0]))
    with pytest.raises(InputError):
        separation_power_of_histograms(np.ones(3), np.ones(4))


def test_in_range_separation_power_drops_values_outside_and_is_nan_when_empty() -> None:
    """The CaloChallenge convention: out-of-range values are dropped (not clipped into the edge bins), each
    histogram is normalised inside the range, and a histogram with nothing in range gives NaN (as the official
    script's density histograms do)."""
    import math

    from showerml.metrics.histograms import in_range_histogram_pair, separation_power_in_range

    edges = np.linspace(0.0, 1.0, 11)
    ref = np.full(100, 0.55)
    gen = np.concatenate([np.full(100, 0.55), np.full(100, 5.0)])  # half of it far outside the range
    assert in_range_histogram_pair(ref, gen, edges).separation_power == 0.0
    assert separation_power(ref, gen, edges=edges) > 0.1  # showerml's clipping sees the outliers
    assert math.isnan(separation_power_in_range(np.zeros(10), np.ones(10)))
    shifted = in_range_histogram_pair(ref, np.full(100, 0.65), edges)
    assert shifted.separation_power == pytest.approx(1.0)
